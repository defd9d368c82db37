// Symbolic zeros, common subexpressions, dead code.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {
int count_if(const Tape& t, auto pred) {
  int n = 0;
  for (const Node& node : t.nodes()) n += pred(node) ? 1 : 0;
  return n;
}
}  // namespace

TEST_CASE("grad with respect to x computes no parameter adjoint, and vice versa") {
  Tape f = mlp_tape(3, 8, [](Var a) { return tanh(a); });
  Tape gx = grad(f, {"x"});
  // A parameter's adjoint would be a product over the batch, Xᵀ·Y: none may appear.
  CHECK(count_if(gx, [](const Node& n) { return n.op == Op::transpose && n.shape.cols == batch; }) == 0);
  Tape gw = grad(f, {"W2"});
  // ... and the gradient in W2 never pulls an adjoint back into W1's layer product with x.
  CHECK(count_if(gw, [](const Node& n) { return n.op == Op::matmul && n.shape.cols == 3; }) == 0);
  // The HVP's tangents never touch the weights: no tangent node has a parameter's shape.
  Tape h = hvp(f, "x");
  CHECK(count_if(h, [](const Node& n) { return n.origin.kind == Origin::tangent && n.shape.rows != batch; }) == 0);
}

TEST_CASE("a repeated expression is recorded once") {
  Recorder rec;
  Var x = rec.data("x", 2);
  Var a = tanh(x) * 2.0;
  Var b = tanh(x) * 2.0;
  CHECK(a.id() == b.id());
  rec.output("y", sum_cols(a + b));
  Tape f = rec.finish();
  CHECK(count_if(f, [](const Node& n) { return n.op == Op::tanh; }) == 1);
}

TEST_CASE("folding: x*1, x+0, 0*x and -(-x) leave no nodes") {
  Recorder rec;
  Var x = rec.data("x", 2);
  Var zero = rec.fill(0.0, {batch, 2});
  Var y = -(-(x * 1.0 + 0.0)) + zero * tanh(x);
  CHECK(y.id() == x.id());
}

TEST_CASE("folding: a scaling by a power of two moves past the products it feeds, with the same bits") {
  Recorder rec;
  Var x = rec.data("x", 3), z = rec.data("z", 3);
  Var w = rec.parameter("W", 3, 2);
  rec.output("twice", x * (z * 2.0));
  rec.output("thrice", x * (z * 3.0));
  rec.output("product", matmul(z * -0.5, w));
  const Tape f = rec.finish();
  auto op_of = [&](std::size_t output) { return f.node(f.outputs()[output].node); };
  // x·(2z) = 2(xz): the scaling last, where a fused group applies it in the product's pass.
  CHECK(op_of(0).op == Op::mul_scalar);
  CHECK(f.node(op_of(0).a).op == Op::mul);
  // Scaling by 3 rounds: it stays where it was written.
  CHECK(op_of(1).op == Op::mul);
  // (-z/2)·W = -(z·W)/2, a batch operand's scaling after its product.
  CHECK(op_of(2).op == Op::mul_scalar);
  CHECK(f.node(op_of(2).a).op == Op::matmul);
  std::mt19937_64 rng(3);
  const Values at = random_inputs(f, 5, rng);
  const Values out = run(f, at);
  const Matrix<double>&xs = at.at("x"), &zs = at.at("z"), &ws = at.at("W");
  for (std::size_t r = 0; r < 5; ++r) {
    for (std::size_t j = 0; j < 3; ++j) CHECK(out.at("twice")(r, j) == xs(r, j) * (zs(r, j) * 2.0));
    for (std::size_t j = 0; j < 2; ++j) {
      double sum = 0;  // as the product kernels add: in order, with multiply-adds
      for (std::size_t i = 0; i < 3; ++i) sum = std::fma(zs(r, i) * -0.5, ws(i, j), sum);
      CHECK(out.at("product")(r, j) == doctest::Approx(sum).epsilon(1e-15));
    }
  }
  // The tangent of a square, 2z·ż, is such a product: no scaling in the MLP's HVP feeds a product.
  const Tape h = hvp(mlp_tape(4, 8, [](Var a) { return tanh(a); }), "x");
  CHECK(count_if(h, [&](const Node& n) {
          return (n.op == Op::mul || n.op == Op::matmul) &&
                 (h.node(n.a).op == Op::mul_scalar || (n.op == Op::mul && h.node(n.b).op == Op::mul_scalar));
        }) == 0);
}

TEST_CASE("folding: a sum over the batch transposed is the sum of the transposed products") {
  Recorder rec;
  Var x = rec.data("x", 3), y = rec.data("y", 2), z = rec.data("z", 2);
  Var s = matmul(transpose(x), y) + matmul(transpose(x), z);  // Xᵀ·Y + Xᵀ·Z
  rec.output("s", s);
  rec.output("t", transpose(s));
  const Tape f = rec.finish();
  // sᵀ = Yᵀ·X + Zᵀ·X: two sums over the batch, which the executor adds into one total; no transpose of a sum.
  const Node& t = f.node(f.outputs()[1].node);
  CHECK(t.op == Op::add);
  for (NodeId part : {t.a, t.b}) {
    CHECK(f.node(part).op == Op::matmul);
    CHECK(f.node(f.node(part).b).op == Op::input);
  }
  // Each entry sums the same products in the same order (the kernels that add them may round alike or not).
  std::mt19937_64 rng(5);
  const Values out = run(f, random_inputs(f, 50, rng));
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j) CHECK(out.at("t")(i, j) == doctest::Approx(out.at("s")(j, i)).epsilon(1e-14));
  // The gradient of a weight read both as W and as Wᵀ (reverse mode over a
  // gradient) is one sum over the batch: no transpose of a computed sum.
  const Tape g = vjp(grad(mlp_tape(3, 8, [](Var a) { return tanh(a); }), {"x"}), {"W2"});
  CHECK(count_if(g, [&](const Node& n) {
          return n.op == Op::transpose && n.shape.cols != batch && g.node(n.a).op != Op::input;
        }) == 0);
}

TEST_CASE("dead code is removed; select keeps what an output needs; simplify is idempotent") {
  Recorder rec;
  Var x = rec.data("x", 2);
  Var unused = exp(x);
  (void)unused;
  rec.output("a", sum_cols(sin(x)));
  rec.output("b", sum_cols(cos(x)));
  Tape f = rec.finish();
  Tape live = eliminate_dead_code(f);
  CHECK(count_if(live, [](const Node& n) { return n.op == Op::exp; }) == 0);
  Tape only_a = select(f, {"a"});
  CHECK(count_if(only_a, [](const Node& n) { return n.op == Op::cos; }) == 0);
  CHECK(only_a.outputs().size() == 1);
  Tape s1 = simplify(f), s2 = simplify(s1);
  CHECK(to_string(s1) == to_string(s2));
  CHECK(s1.nodes().size() == live.nodes().size());
}

TEST_CASE("derived tapes stay small: the MLP's HVP tape is a few times its forward tape") {
  Tape f = mlp_tape(16, 64, [](Var a) { return tanh(a); });
  Tape h = hvp(f, "x");
  const int forward_products = count_if(f, [](const Node& n) { return n.op == Op::matmul; });
  const int hvp_products = count_if(h, [](const Node& n) { return n.op == Op::matmul; });
  CHECK(forward_products == 3);
  // forward 3, adjoint 2 (x's adjoint needs no product with W3: it is a broadcast), tangent 2+2
  CHECK(hvp_products <= 4 * forward_products);
  MESSAGE("MLP [16, 64, 64, 1]: forward ", f.nodes().size(), " nodes, HVP ", h.nodes().size(), " nodes, ", hvp_products,
          " matrix products");
}

TEST_CASE("folding: a product with padded columns multiplies only the rows they meet") {
  // The forward Laplacian seeds each direction e_k as a column of ones padded
  // to d columns: its first-layer tangents are rows of W1, repeated, and what
  // follows on them (squares, their sum) is computed on one row.
  const Dim d = 3, h = 8;
  Tape lap = laplacian(mlp_tape(d, h, [](Var a) { return tanh(a); }), "x");
  CHECK(count_if(lap, [&](const Node& n) { return n.op == Op::matmul && lap.node(n.a).op == Op::pad_cols; }) == 0);
  // The products left: the three of φ, and through W2 and W3 each direction's tangent and the curvature.
  CHECK(count_if(lap, [](const Node& n) { return n.op == Op::matmul && n.shape.rows == batch; }) == 3 + 2 * (d + 1));
  CHECK(count_if(lap, [&](const Node& n) { return n.op == Op::square && n.shape.rows == 1; }) == d);

  // The gradient of a function of some columns of x W: the adjoint padded to
  // all of W's columns, times Wᵀ, is a product with the columns it meets.
  Recorder rec;
  Var x = rec.data("x", 2);
  Var w = rec.parameter("W", 2, 5);
  rec.output("y", sum_cols(sin(slice_cols(matmul(x, w), 1, 3))));
  Tape g = grad(rec.finish(), {"x"});
  CHECK(count_if(g, [&](const Node& n) { return n.op == Op::matmul && g.node(n.a).op == Op::pad_cols; }) == 0);
  std::mt19937_64 rng(7);
  const Values at = random_inputs(g, 6, rng);
  const Matrix<double>& xs = at.at("x");
  const Matrix<double>& ws = at.at("W");
  const Matrix<double> x_bar = run(g, at).at("x_bar");
  for (std::size_t r = 0; r < 6; ++r)
    for (std::size_t i = 0; i < 2; ++i) {
      double expected = 0;  // Σ over the sliced columns j of cos((x W)_rj) W_ij
      for (std::size_t j = 1; j < 4; ++j) expected += std::cos(xs(r, 0) * ws(0, j) + xs(r, 1) * ws(1, j)) * ws(i, j);
      CHECK(x_bar(r, i) == doctest::Approx(expected).epsilon(1e-14));
    }
}
