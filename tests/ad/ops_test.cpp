// Every op, in every mode, against central finite differences: the tangent
// (jvp), the adjoint (vjp, by the dot-product identity <y_bar, J v> = <Jᵀ y_bar, v>
// and against differences), and the second derivative (hvp) for smooth ops.
#include <doctest/doctest.h>

#include <functional>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {

struct Case {
  const char* name;
  std::function<Var(Recorder&, Var x, Var y)> build;
  double lo = -1, hi = 1;  // the domain of the inputs
  bool smooth = true;      // has a second derivative
};

std::vector<Case> cases() {
  return {
      {"neg", [](Recorder&, Var x, Var) { return -x; }},
      {"square", [](Recorder&, Var x, Var) { return square(x); }},
      {"sqrt", [](Recorder&, Var x, Var) { return sqrt(x); }, 0.5, 2},
      {"exp", [](Recorder&, Var x, Var) { return exp(x); }},
      {"log", [](Recorder&, Var x, Var) { return log(x); }, 0.5, 2},
      {"log1p", [](Recorder&, Var x, Var) { return log1p(x); }, -0.5, 2},
      {"tanh", [](Recorder&, Var x, Var) { return tanh(x); }, -2, 2},
      {"sigmoid", [](Recorder&, Var x, Var) { return sigmoid(x); }, -3, 3},
      {"softplus", [](Recorder&, Var x, Var) { return softplus(x); }, -3, 3},
      {"silu", [](Recorder&, Var x, Var) { return silu(x); }, -3, 3},
      {"sin", [](Recorder&, Var x, Var) { return sin(x); }, -3, 3},
      {"cos", [](Recorder&, Var x, Var) { return cos(x); }, -3, 3},
      {"pow 3", [](Recorder&, Var x, Var) { return pow(x, 3.0); }},
      {"pow -1.5", [](Recorder&, Var x, Var) { return pow(x, -1.5); }, 0.5, 2},
      {"add_scalar", [](Recorder&, Var x, Var) { return x + 2.5; }},
      {"mul_scalar", [](Recorder&, Var x, Var) { return 3.0 * x; }},
      {"scalar / x", [](Recorder&, Var x, Var) { return 2.0 / x; }, 0.5, 2},
      {"relu", [](Recorder&, Var x, Var) { return relu(x); }, -1, 1, false},
      {"abs", [](Recorder&, Var x, Var) { return abs(x); }, -1, 1, false},
      {"add", [](Recorder&, Var x, Var y) { return x + y; }},
      {"sub", [](Recorder&, Var x, Var y) { return x - y; }},
      {"mul", [](Recorder&, Var x, Var y) { return x * y; }},
      {"div", [](Recorder&, Var x, Var y) { return x / y; }, 0.5, 2},
      {"broadcast_rows (bias)", [](Recorder& r, Var x, Var) { return x * r.parameter("p", 1, 3); }},
      {"broadcast_cols", [](Recorder&, Var x, Var y) { return x * sum_cols(y); }},
      {"broadcast (1,1)", [](Recorder& r, Var x, Var) { return x / r.parameter("s", 1, 1); }, 0.5, 2},
      {"sum_rows", [](Recorder&, Var x, Var y) { return sum_rows(x * y); }},
      {"mean_rows", [](Recorder&, Var x, Var y) { return mean_rows(x * y); }},
      {"spread_rows (centring)", [](Recorder&, Var x, Var) { return square(x - mean_rows(x)); }},
      {"sum_cols", [](Recorder&, Var x, Var y) { return sum_cols(x * y); }},
      {"mean_cols", [](Recorder&, Var x, Var) { return mean_cols(square(x)); }},
      {"dot", [](Recorder&, Var x, Var y) { return dot(x, sin(y)); }},
      {"transpose (Xᵀ Y over the batch)", [](Recorder&, Var x, Var y) { return matmul(transpose(x), y); }},
      {"transpose (parameter)", [](Recorder& r, Var x, Var) { return matmul(x, transpose(r.parameter("w", 4, 3))); }},
      {"slice_cols", [](Recorder&, Var x, Var) { return slice_cols(x, 1, 2); }},
      {"concat_cols", [](Recorder&, Var x, Var y) { return concat_cols(x, square(y)); }},
      {"matmul (batch x weight)", [](Recorder& r, Var x, Var) { return matmul(x, r.parameter("w", 3, 4)); }},
      {"matmul (weight x weight)",
       [](Recorder& r, Var x, Var) { return x * matmul(r.parameter("a", 1, 2), r.parameter("b", 2, 3)); }},
  };
}

Tape record(const Case& c, bool scalar) {
  Recorder rec;
  Var x = rec.data("x", 3);
  Var y = rec.data("y", 3);
  Var out = c.build(rec, x, y);
  // For the second derivative a scalar per row: a nonlinear reduction of the output.
  rec.output("out", scalar ? sum_cols(sin(out)) : out);
  return rec.finish();
}

std::vector<std::string> input_names(const Tape& f) {
  std::vector<std::string> names;
  for (const Input& in : f.inputs()) names.push_back(in.name);
  return names;
}

}  // namespace

TEST_CASE("every op: the tangent equals finite differences") {
  std::mt19937_64 rng(1);
  for (const Case& c : cases()) {
    CAPTURE(std::string(c.name));
    Tape f = record(c, false);
    Values at = random_inputs(f, 5, rng, c.lo, c.hi);
    Values dir = random_inputs(f, 5, rng);
    Tape t = jvp(f, input_names(f));
    Values in = at;
    for (auto& [name, d] : dir) in[name + "_dot"] = d;
    Values exact = run(t, in);
    Values fd = finite_difference(f, at, dir);
    CHECK(closeness(exact["out_dot"], fd["out"], 1e-6, 1e-7) <= 1);
    CHECK(closeness(exact["out"], run(f, at)["out"], 1e-15, 1e-15) <= 1);  // the primal is kept
  }
}

TEST_CASE("every op: the adjoint satisfies <y_bar, J v> = <Jᵀ y_bar, v> and matches differences") {
  std::mt19937_64 rng(2);
  for (const Case& c : cases()) {
    CAPTURE(std::string(c.name));
    Tape f = record(c, false);
    Values at = random_inputs(f, 5, rng, c.lo, c.hi);
    Values dir = random_inputs(f, 5, rng);
    Tape r = vjp(f, input_names(f));
    Values in = at;
    const Shape ys = f.node(f.outputs()[0].node).shape;
    Matrix<double> y_bar =
        random_matrix(ys.rows == batch ? 5 : static_cast<std::size_t>(ys.rows), static_cast<std::size_t>(ys.cols), rng);
    in["out_bar"] = y_bar;
    Values bars = run(r, in);
    double adjoint_side = 0;
    for (auto& [name, d] : dir) adjoint_side += frobenius_dot(bars[name + "_bar"], d);
    const double fd_side = frobenius_dot(y_bar, finite_difference(f, at, dir)["out"]);
    CHECK(adjoint_side == doctest::Approx(fd_side).epsilon(1e-6));
    Values tin = at;  // and exactly against forward mode
    for (auto& [name, d] : dir) tin[name + "_dot"] = d;
    const double tangent_side = frobenius_dot(y_bar, run(jvp(f, input_names(f)), tin)["out_dot"]);
    CHECK(adjoint_side == doctest::Approx(tangent_side).epsilon(1e-12));
  }
}

TEST_CASE("every smooth op: the HVP equals finite differences of the gradient") {
  std::mt19937_64 rng(3);
  for (const Case& c : cases()) {
    if (!c.smooth) continue;
    CAPTURE(std::string(c.name));
    Tape f = record(c, true);
    Values at = random_inputs(f, 4, rng, c.lo, c.hi);
    Matrix<double> v = random_matrix(4, 3, rng);
    Tape h = hvp(f, "x");
    Values in = at;
    in["x_dot"] = v;
    Values exact = run(h, in);
    Values fd = finite_difference(grad(f, {"x"}), at, {{"x", v}});
    CHECK(closeness(exact["x_bar_dot"], fd["x_bar"], 1e-6, 1e-7) <= 1);
  }
}

TEST_CASE("relu and abs: first derivatives work, second derivatives refuse") {
  for (auto act : {+[](Var a) { return relu(a); }, +[](Var a) { return abs(a); }}) {
    Recorder rec;
    Var x = rec.data("x", 2);
    rec.output("phi", sum_cols(act(x) * x));
    Tape f = rec.finish();
    Tape g = grad(f, {"x"});
    Values out = run(g, {{"x", Matrix<double>{{0.5, -2.0}}}});
    CHECK(out["x_bar"](0, 0) == doctest::Approx(1.0));  // d(relu(a) a)/da = 2a or 0; d(|a| a)/da = 2|a|
    CHECK_THROWS_AS(hvp(f, "x"), NonSmoothError);
    CHECK_THROWS_WITH_AS(jvp(g, {"x"}), doctest::Contains("use a smooth activation"), NonSmoothError);
  }
}

TEST_CASE("the cases above cover every op of the op table, in the tapes or in their derivatives") {
  std::vector<bool> seen(op_count, false);
  auto mark = [&](const Tape& t) {
    for (const Node& n : t.nodes()) seen[static_cast<std::size_t>(n.op)] = true;
  };
  for (const Case& c : cases()) {
    Tape f = record(c, false);
    mark(f);
    mark(jvp(f, input_names(f)));
    mark(vjp(f, input_names(f)));
  }
  for (std::size_t i = 0; i < op_count; ++i) {
    CAPTURE(op_name(static_cast<Op>(i)));
    CHECK(seen[i]);
  }
}

TEST_CASE("the op table: every op has a name, and an arity that fits its kind") {
  for (std::size_t i = 0; i < op_count; ++i) {
    const Op op = static_cast<Op>(i);
    CAPTURE(op_name(op));
    CHECK(!op_name(op).empty());
    switch (op_kind(op)) {
      case OpKind::leaf: CHECK(op_arity(op) == 0); break;
      case OpKind::unary:
      case OpKind::broadcast:
      case OpKind::reduction: CHECK(op_arity(op) == 1); break;
      case OpKind::binary:
      case OpKind::product: CHECK(op_arity(op) == 2); break;
      case OpKind::layout: CHECK((op == Op::concat_cols ? op_arity(op) == 2 : op_arity(op) == 1)); break;
    }
  }
  CHECK(evaluate(Op::sub, 5.0, 3.0, 0.0) == 2.0);
  CHECK(evaluate(Op::div, 6.0, 3.0, 0.0) == 2.0);
  CHECK(evaluate(Op::pow, 2.0, 0.0, 3.0) == 8.0);
  CHECK(evaluate(Op::softplus, 800.0, 0.0, 0.0) == 800.0);  // no overflow
  CHECK(evaluate(Op::sign, -2.0, 0.0, 0.0) == -1.0);
}
