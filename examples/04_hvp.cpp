// 04. The Hessian-vector product as jvp(grad(f)).
//
// Print the three tapes — f, grad(f), jvp(grad(f)) — and check H·v against
// central differences of the gradient and against the Hessian by hand.
#include <cmath>
#include <wengert/wengert.hpp>

#include "check.hpp"

using walkthrough::check;

int main() {
  // f(x) = x1² x2 + sin(x2): H = [[2 x2, 2 x1], [2 x1, -sin x2]].
  wengert::Recorder rec;
  wengert::Var x = rec.data("x", 2);
  wengert::Var x1 = slice_cols(x, 0, 1), x2 = slice_cols(x, 1, 1);
  rec.output("f", square(x1) * x2 + sin(x2));
  wengert::Tape f = rec.finish();
  wengert::Tape g = wengert::grad(f, {"x"});
  wengert::Tape h = wengert::jvp(g, {"x"});
  fmt::print("f:\n{}\ngrad(f):\n{}\njvp(grad(f)):\n{}\n", wengert::to_string(f), wengert::to_string(g),
             wengert::to_string(h));

  const double a = 0.7, b = -1.3, v1 = 0.4, v2 = 2.0;
  wengert::Program<double> p(h, {"x_bar", "x_bar_dot"});
  wengert::Matrix<double> at{{a, b}}, v{{v1, v2}};
  p.set("x", at);
  p.set("x_dot", v);
  p.run();
  const double hv1 = 2 * b * v1 + 2 * a * v2, hv2 = 2 * a * v1 - std::sin(b) * v2;
  check("(H v)_1 against the formula", p.get("x_bar_dot")(0, 0), hv1);
  check("(H v)_2 against the formula", p.get("x_bar_dot")(0, 1), hv2);

  // Against central differences of the gradient: (g(x + e v) - g(x - e v)) / 2e.
  wengert::Program<double> gp(g, {"x_bar"});
  const double e = 1e-5;
  wengert::Matrix<double> plus{{a + e * v1, b + e * v2}}, minus{{a - e * v1, b - e * v2}};
  gp.set("x", plus);
  gp.run();
  const double gp1 = gp.get("x_bar")(0, 0), gp2 = gp.get("x_bar")(0, 1);
  gp.set("x", minus);
  gp.run();
  check("(H v)_1 against differences", p.get("x_bar_dot")(0, 0), (gp1 - gp.get("x_bar")(0, 0)) / (2 * e), 1e-8);
  check("(H v)_2 against differences", p.get("x_bar_dot")(0, 1), (gp2 - gp.get("x_bar")(0, 1)) / (2 * e), 1e-8);
  return walkthrough::finish();
}
