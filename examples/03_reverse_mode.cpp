// 03. Reverse mode, by hand and then by grad.
//
// The same f(x) = sin(x1²) · x2 at x = (1.5, 2): walk the tape backwards from
// y_bar = 1, handing each adjoint to the arguments, then ask the library.
#include <cmath>
#include <wengert/wengert.hpp>

#include "check.hpp"

using walkthrough::check;

int main() {
  wengert::Recorder rec;
  wengert::Var x = rec.data("x", 2);
  rec.output("f", sin(square(slice_cols(x, 0, 1))) * slice_cols(x, 1, 1));
  wengert::Tape f = rec.finish();

  // By hand. Forward sweep for the values, then the reverse sweep.
  const double x1 = 1.5, x2 = 2.0;
  const double a = x1 * x1, b = std::sin(a);
  const double y_bar = 1.0;
  const double b_bar = y_bar * x2;           // y = b x2   ->  b_bar  = y_bar x2
  const double x2_bar = y_bar * b;           //                x2_bar = y_bar b
  const double a_bar = b_bar * std::cos(a);  // b = sin a  ->  a_bar  = b_bar cos a
  const double x1_bar = a_bar * 2 * x1;      // a = x1²    ->  x1_bar = a_bar 2 x1
  fmt::print("By hand: b_bar = {:.6f}, a_bar = {:.6f}, x1_bar = {:.6f}, x2_bar = {:.6f}\n\n", b_bar, a_bar, x1_bar,
             x2_bar);

  // By the library: grad seeds f_bar = 1 and walks back to x_bar.
  wengert::Tape g = wengert::grad(f, {"x"});
  fmt::print("The tape of grad(f) (new nodes say 'adjoint of'):\n{}\n", wengert::to_string(g));
  wengert::Program<double> p(g);
  wengert::Matrix<double> at{{x1, x2}};
  p.set("x", at);
  p.run();
  check("df/dx1", p.get("x_bar")(0, 0), x1_bar);
  check("df/dx2", p.get("x_bar")(0, 1), x2_bar);
  return walkthrough::finish();
}
