// Recording: shapes, broadcasting, names, misuse, printing.
#include <doctest/doctest.h>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("recording builds a Wengert list with shapes") {
  Recorder rec;
  Var x = rec.data("x", 3);
  Var w = rec.parameter("W", 3, 2);
  Var b = rec.parameter("b", 1, 2);
  Var y = tanh(matmul(x, w) + b);
  CHECK(y.shape() == Shape{batch, 2});
  rec.output("y", sum_cols(y));
  Tape f = rec.finish();
  CHECK(f.inputs().size() == 3);
  CHECK(f.inputs()[0].role == Role::data);
  CHECK(f.inputs()[1].role == Role::parameter);
  CHECK(f.node(f.outputs()[0].node).shape == Shape{batch, 1});
  const std::string text = to_string(f);
  CHECK(text.find("broadcast_rows %2 rows=B") != std::string::npos);
  CHECK(text.find("output y = %") != std::string::npos);
  CHECK(to_dot(f).find("digraph tape") == 0);
}

TEST_CASE("shape mismatches at record time name the op and both shapes") {
  Recorder rec;
  Var x = rec.data("x", 3);
  Var w = rec.parameter("W", 4, 2);
  CHECK_THROWS_WITH_AS(matmul(x, w), doctest::Contains("matmul: shapes (B, 3) and (4, 2) do not fit"), ShapeError);
  CHECK_THROWS_WITH_AS(x + rec.data("z", 2), doctest::Contains("add: shapes (B, 3) and (B, 2)"), ShapeError);
  CHECK_THROWS_WITH_AS(slice_cols(x, 2, 2), doctest::Contains("columns [2, 4) are not inside shape (B, 3)"),
                       ShapeError);
  CHECK_THROWS_WITH_AS(rec.data("x", 1), doctest::Contains("already has an input of that name"), UsageError);
  CHECK_THROWS_AS(rec.data("bad", 0), ShapeError);
}

TEST_CASE("misused Vars throw instead of recording garbage") {
  Recorder one, two;
  Var a = one.data("a", 2), b = two.data("b", 2);
  CHECK_THROWS_WITH_AS(a + b, doctest::Contains("add: the operands come from different recordings"), UsageError);
  CHECK_THROWS_WITH_AS(tanh(Var{}), doctest::Contains("empty Var"), UsageError);
  one.output("y", a * 2.0);
  Tape f = one.finish();
  CHECK_THROWS_WITH_AS(a * 3.0, doctest::Contains("finished recording"), UsageError);
  CHECK_THROWS_AS(one.finish(), UsageError);
  Recorder none;
  CHECK_THROWS_WITH_AS(none.finish(), doctest::Contains("no outputs"), UsageError);
  CHECK_THROWS_WITH_AS(two.output("y", a), doctest::Contains("finished recording"), UsageError);
}

TEST_CASE("Recorder::call inlines a tape and checks its bindings") {
  Recorder inner;
  Var x = inner.data("x", 2);
  inner.output("y", square(x));
  Tape sq = inner.finish();
  Recorder rec;
  Var z = rec.data("z", 2);
  std::vector<Var> out = rec.call(sq, {{"x", sin(z)}});
  rec.output("w", sum_cols(out[0]));
  Values v = run(rec.finish(), {{"z", Matrix<double>{{0.5, 1.0}}}});
  CHECK(v["w"](0, 0) == doctest::Approx(std::sin(0.5) * std::sin(0.5) + std::sin(1.0) * std::sin(1.0)));
  Recorder again;
  Var wrong = again.data("z", 3);
  CHECK_THROWS_WITH_AS(again.call(sq, {{"x", wrong}}), doctest::Contains("input 'x' has shape (B, 2)"), ShapeError);
  CHECK_THROWS_WITH_AS(again.call(sq, {}), doctest::Contains("input 'x' of the called tape is not bound"), UsageError);
}

TEST_CASE("transformations reject unknown and non-scalar outputs with the fix") {
  Recorder rec;
  Var x = rec.data("x", 2);
  rec.output("y", x * 2.0);
  Tape f = rec.finish();
  CHECK_THROWS_WITH_AS(grad(f, {"x"}), doctest::Contains("grad needs one column"), ShapeError);
  CHECK_THROWS_WITH_AS(jvp(f, {"q"}), doctest::Contains("jvp: the tape has no input 'q'; its inputs are 'x'"),
                       UsageError);
  CHECK_THROWS_WITH_AS(vjp(f, {"x", "x"}), doctest::Contains("named twice"), UsageError);
}
