// 02. Forward mode, by hand and then by jvp.
//
// For f(x) = sin(x1²) · x2 at x = (1.5, 2) along x_dot = (1, 0.5), push the
// tangent through the tape one line at a time, then ask the library.
#include <cmath>
#include <wengert/wengert.hpp>

#include "check.hpp"

using walkthrough::check;

int main() {
  wengert::Recorder rec;
  wengert::Var x = rec.data("x", 2);
  rec.output("f", sin(square(slice_cols(x, 0, 1))) * slice_cols(x, 1, 1));
  wengert::Tape f = rec.finish();

  // By hand: each line's tangent from the chain rule.
  const double x1 = 1.5, x2 = 2.0, x1_dot = 1.0, x2_dot = 0.5;
  const double a = x1 * x1, a_dot = 2 * x1 * x1_dot;          // a = x1²
  const double b = std::sin(a), b_dot = std::cos(a) * a_dot;  // b = sin a
  const double y = b * x2, y_dot = b_dot * x2 + b * x2_dot;   // y = b x2
  fmt::print("By hand: a_dot = {:.6f}, b_dot = {:.6f}, y_dot = {:.6f}\n\n", a_dot, b_dot, y_dot);

  // By the library: jvp adds the input x_dot and the output f_dot.
  wengert::Tape t = wengert::jvp(f, {"x"});
  fmt::print("The tape of jvp(f) (new nodes say 'tangent of'):\n{}\n", wengert::to_string(t));
  wengert::Program<double> p(t);
  wengert::Matrix<double> at{{x1, x2}}, along{{x1_dot, x2_dot}};
  p.set("x", at);
  p.set("x_dot", along);
  p.run();
  check("f", p.get("f")(0, 0), y);
  check("f_dot = J x_dot", p.get("f_dot")(0, 0), y_dot);
  return walkthrough::finish();
}
