// 01. A first tape.
//
// Record f(x) = sin(x1²) · x2 once, print its Wengert list, and run it at two
// batches of inputs without recording again.
#include <cmath>
#include <wengert/wengert.hpp>

#include "check.hpp"

using walkthrough::check;

int main() {
  // Recording: every operation on a Var appends one node to the tape.
  wengert::Recorder rec;
  wengert::Var x = rec.data("x", 2);  // one row per sample, two columns
  wengert::Var x1 = slice_cols(x, 0, 1), x2 = slice_cols(x, 1, 1);
  rec.output("f", sin(square(x1)) * x2);
  wengert::Tape f = rec.finish();
  fmt::print("The tape of f(x) = sin(x1²) x2:\n{}\n", wengert::to_string(f));

  // Running: plan once, then bind inputs and run as often as needed.
  wengert::Program<double> program(f);
  wengert::Matrix<double> batch{{1.0, 2.0}, {0.5, -1.0}, {3.0, 0.25}};
  program.set("x", batch);
  program.run();
  fmt::print("f at three samples:\n");
  for (std::size_t r = 0; r < batch.rows(); ++r)
    check(fmt::format("f({}, {})", batch(r, 0), batch(r, 1)).c_str(), program.get("f")(r, 0),
          std::sin(batch(r, 0) * batch(r, 0)) * batch(r, 1));

  wengert::Matrix<double> other{{-2.0, 4.0}};  // a new batch size, the same tape
  program.set("x", other);
  program.run();
  check("f(-2, 4)", program.get("f")(0, 0), std::sin(4.0) * 4.0);
  return walkthrough::finish();
}
