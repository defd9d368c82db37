// The README's example, run and checked by `meson test`.
#include <cmath>
#include <wengert/wengert.hpp>

#include "check.hpp"

int main() {
  using namespace wengert;
  Recorder rec;  // record phi(x) = Σ x tanh(x) once
  Var x = rec.data("x", 2);
  rec.output("phi", sum_cols(x * tanh(x)));
  Tape phi = rec.finish();

  Tape g = grad(phi, {"x"});  // reverse mode: a tape again
  Tape h = hvp(phi, "x");     // jvp(grad(phi)): H·v per sample
  fmt::print("phi:\n{}\ngrad(phi):\n{}\n", to_string(phi), to_string(g));

  Program<double> p(h, {"x_bar", "x_bar_dot"});  // plan once, run at any inputs
  Matrix<double> at{{0.5, -1.0}}, v{{1.0, 0.0}};
  p.set("x", at);
  p.set("x_dot", v);
  p.run();
  fmt::print("grad = ({:.6f}, {:.6f})   H v = ({:.6f}, {:.6f})\n", p.get("x_bar")(0, 0), p.get("x_bar")(0, 1),
             p.get("x_bar_dot")(0, 0), p.get("x_bar_dot")(0, 1));

  const double t = std::tanh(0.5), sech2 = 1 - t * t;  // d²(x tanh x)/dx² = 2 sech²x (1 - x tanh x)
  walkthrough::check("(H v)_1 by hand", p.get("x_bar_dot")(0, 0), 2 * sech2 * (1 - 0.5 * t));
  walkthrough::check("(H v)_2 by hand", p.get("x_bar_dot")(0, 1), 0.0);
  return walkthrough::finish();
}
