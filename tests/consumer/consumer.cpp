// A program outside the project, built against the installed library with
// pkg-config, CMake or as a meson subproject: the gradient of sum(x²) is 2x.
#include <cstdio>
#include <cstring>
#include <wengert/simd.hpp>
#include <wengert/version.hpp>
#include <wengert/wengert.hpp>

int main() {
  if (std::strcmp(wengert::version(), WENGERT_VERSION) != 0) return 2;  // the headers' library
  std::printf("wengert %s, kernels for %s\n", wengert::version(), wengert::simd_target().c_str());
  wengert::Recorder rec;
  wengert::Var x = rec.data("x", 2);
  rec.output("phi", wengert::sum_cols(wengert::square(x)));
  wengert::Program<double> p(wengert::grad(rec.finish(), {"x"}));
  wengert::Matrix<double> at{{1.5, -2.0}};
  p.set("x", at);
  p.run();
  return p.get("x_bar")(0, 0) == 3.0 && p.get("x_bar")(0, 1) == -4.0 ? 0 : 1;
}
