// Fused element-wise chains (ProgramOptions::fuse) against step-by-step runs of
// the same plans, interleaved in one run, the best of six 150 ms timings each:
// the HVP and the forward Laplacian of the engine benchmark's MLPs at batch 1024,
// one thread. The two give the same bits (tests/ad/random_tapes_test.cpp).
#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <wengert/wengert.hpp>

#include "bench/machine.hpp"
#include "bench/mlp.hpp"

namespace {

template <class T>
double microseconds_per_run(const wengert::Tape& tape, const bench::MlpData<T>& data, bool fuse) {
  wengert::Program<T> p(tape, {}, {.fuse = fuse});
  data.bind(p);
  p.run();
  const auto start = std::chrono::steady_clock::now();
  int runs = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(150)) p.run(), ++runs;
  return 1e6 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / runs;
}

template <class T>
void row(const char* quantity, const wengert::Tape& tape, int d, int h) {
  const bench::MlpData<T> data(d, h, 1024);
  double best[2] = {1e300, 1e300};
  // Which program is made first changes where their buffers land, and that alone moved
  // a figure by 8% here: the order alternates, and the best of each is kept.
  for (int rep = 0; rep < 6; ++rep)
    for (int k = 0; k < 2; ++k) {
      const int fuse = (k + rep) % 2;
      best[fuse] = std::min(best[fuse], microseconds_per_run(tape, data, fuse == 1));
    }
  fmt::print("{:<10} {:<7} {:>3} {:>4} {:>14.1f} {:>10.1f} {:>8.3f}\n", quantity, sizeof(T) == 8 ? "double" : "float",
             d, h, best[0], best[1], best[0] / best[1]);
}

}  // namespace

int main() {
  bench::print_machine();
  fmt::print("{:<10} {:<7} {:>3} {:>4} {:>14} {:>10} {:>8}\n", "quantity", "type", "d", "h", "step-by-step us",
             "fused us", "speed-up");
  for (auto [d, h] : {std::pair{2, 64}, {16, 64}, {64, 128}}) {
    const wengert::Tape f = bench::mlp(d, h);
    const wengert::Tape hvp = wengert::hvp(f, "x"), laplacian = wengert::laplacian(f, "x");
    row<double>("HVP", hvp, d, h);
    row<float>("HVP", hvp, d, h);
    row<double>("Laplacian", laplacian, d, h);
    row<float>("Laplacian", laplacian, d, h);
  }
}
