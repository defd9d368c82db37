// The executor: replay, batch sizes, chunks, threads, float32, and its errors.
#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <regex>

#include <wengert/nn/potential.hpp>

#include "support/harness.hpp"
#include "support/random_tapes.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("a tape recorded once replays at new inputs and batch sizes like a fresh recording") {
  std::mt19937_64 rng(8);
  Tape f = mlp_tape(3, 8, [](Var a) { return tanh(a); });
  Program<double> p(hvp(f, "x"));
  for (std::size_t rows : {1u, 5u, 1000u, 3u}) {
    Values at = random_inputs(f, rows, rng);
    at["x_dot"] = random_matrix(rows, 3, rng);
    for (auto& [name, m] : at) p.set(name, m.view());
    p.run();
    Tape fresh = hvp(mlp_tape(3, 8, [](Var a) { return tanh(a); }), "x");
    Values expected = run(fresh, at);
    CHECK(closeness(to_matrix(p.get("x_bar_dot")), expected["x_bar_dot"], 0, 1e-300) <= 1);  // bit for bit
  }
}

TEST_CASE("chunk sizes and threads do not change the numbers") {
  std::mt19937_64 rng(9);
  Tape f = mlp_tape(4, 16, [](Var a) { return softplus(a); });
  Tape g = grad(f, {"x", "W1", "b2"});  // per-sample gradients and batch-summed parameter gradients
  Values at = random_inputs(f, 777, rng);
  Values reference = run(g, at, {.threads = 1, .chunk_rows = 777});
  for (int threads : {1, 2}) {
    for (int chunk : {1, 3, 8, 64, 0}) {
      CAPTURE(threads);
      CAPTURE(chunk);
      Values out = run(g, at, {.threads = threads, .chunk_rows = chunk});
      for (const char* name : {"x_bar", "W1_bar", "b2_bar", "phi"})
        CHECK(closeness(out[name], reference[name], 1e-12, 1e-12) <= 1);
    }
  }
}

TEST_CASE("the scalar kernels and the SIMD kernels agree on whole tapes") {
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    CAPTURE(seed);
    Tape f = hvp(random_tape(seed), "x");
    std::mt19937_64 rng(seed);
    Values at = random_inputs(f, 37, rng);
    Values simd = run(f, at), scalar = run(f, at, {.simd = false});
    for (auto& [name, m] : simd) CHECK(closeness(m, scalar[name], 1e-12, 1e-12) <= 1);
  }
}

TEST_CASE("float32 agrees with float64 within float32 tolerances") {
  std::mt19937_64 rng(10);
  Tape f = hvp(mlp_tape(4, 32, [](Var a) { return tanh(a); }), "x");
  Values at = random_inputs(f, 100, rng);
  Values d = run<double>(f, at), s = run<float>(f, at);
  for (auto& [name, m] : d) CHECK(closeness(s[name], m, 1e-4, 1e-5) <= 1);
}

TEST_CASE("a batch value that needs a batch mean runs as one chunk, still exact") {
  Recorder rec;
  Var x = rec.data("x", 2);
  rec.output("phi", sum_cols(square(x - mean_rows(x))));
  Tape f = rec.finish();
  Program<double> p(f, {}, {.threads = 2, .chunk_rows = 2});
  CHECK(p.describe().find("whole batch") != std::string::npos);
  Matrix<double> X{{1, 2}, {3, 6}, {5, 10}};
  p.set("x", X);
  p.run();
  CHECK(p.get("phi")(0, 0) == doctest::Approx(4.0 + 16.0));
  CHECK(p.get("phi")(1, 0) == doctest::Approx(0.0));
}

TEST_CASE("run-time errors name the function, the values and the fix") {
  Tape f = mlp_tape(3, 4, [](Var a) { return tanh(a); });
  Program<double> p(f);
  Matrix<double> x(2, 3), wrong(2, 4), w1(3, 4), b(1, 4), w2(4, 4), w3(4, 1);
  CHECK_THROWS_WITH_AS(p.set("x", wrong), doctest::Contains("'x' takes one row per sample of 3 columns"), ShapeError);
  CHECK_THROWS_WITH_AS(p.set("W1", w2), doctest::Contains("'W1' has shape (3, 4)"), ShapeError);
  CHECK_THROWS_WITH_AS(p.set("w1", w1), doctest::Contains("its inputs are 'x', 'W1'"), UsageError);
  p.set("x", x);
  p.set("W1", w1);
  CHECK_THROWS_WITH_AS(p.run(), doctest::Contains("input 'b1' is not bound"), UsageError);
  CHECK_THROWS_WITH_AS(p.get("phi"), doctest::Contains("call run() first"), UsageError);
  CHECK_THROWS_AS(Program<double>(f, {}, {.threads = 0}), UsageError);
  CHECK_THROWS_WITH_AS(Program<double>(f, {"psi"}), doctest::Contains("no output 'psi'"), UsageError);

  Recorder rec;  // two inputs with a row per sample must agree on the rows
  Var a = rec.data("a", 1), c = rec.data("c", 1);
  rec.output("y", a * c);
  Program<double> q(rec.finish());
  Matrix<double> two(2, 1), three(3, 1);
  q.set("a", two);
  q.set("c", three);
  CHECK_THROWS_WITH_AS(q.run(), doctest::Contains("'c' has 3 rows but 'a' has 2"), ShapeError);
}

TEST_CASE("check_finite names the first node that produced NaN or Inf") {
  Recorder rec;
  Var x = rec.data("x", 2);
  rec.output("y", sum_cols(log(x) * 2.0));
  Program<double> p(rec.finish(), {}, {.check_finite = true});
  Matrix<double> ok{{1, 2}}, bad{{1, 2}, {3, -1}};
  p.set("x", ok);
  CHECK_NOTHROW(p.run());
  p.set("x", bad);
  CHECK_THROWS_WITH_AS(p.run(), doctest::Contains("node %1 (log) produced NaN at row 1, column 1"), NonFiniteError);
  // A layer's bias overflowing its product's sum: the add is named, not the product.
  Recorder layer;
  Var z = layer.data("z", 1);
  Var w = layer.parameter("W", 1, 1), b = layer.parameter("b", 1, 1);
  layer.output("y", matmul(z, w) + broadcast_rows(b, batch));
  Program<double> q(layer.finish(), {}, {.check_finite = true});
  Matrix<double> huge{{1e308}}, one{{1}};
  q.set("z", huge);
  q.set("W", one);
  q.set("b", huge);
  CHECK_THROWS_WITH_AS(q.run(), doctest::Contains("(add) produced Inf at row 0, column 0"), NonFiniteError);
}

TEST_CASE("an output that is an input, or needs no step, is still copied out") {
  Recorder rec;
  Var x = rec.data("x", 1);
  rec.output("phi", 0.5 * square(x) + 1.0);
  Tape g = grad(rec.finish(), {"x"});  // x_bar = x: the gradient tape's output is its input
  for (std::size_t rows : {3u, 601u}) {
    Matrix<double> X(rows, 1);
    for (std::size_t i = 0; i < rows; ++i) X(i, 0) = 0.01 * double(i);
    Program<double> p(g, {"x_bar"});
    p.set("x", X);
    p.run();
    CHECK(p.get("x_bar")(rows - 1, 0) == X(rows - 1, 0));
  }
}

TEST_CASE("one sample at a time: paired products give the numbers of a batch") {
  std::mt19937_64 rng(12);
  for (int act = 0; act < 2; ++act) {
    Tape f = hvp(mlp_tape(5, 40, [act](Var a) { return act ? softplus(a) : tanh(a); }), "x");
    Values batch = random_inputs(f, 3, rng);
    Values together = run(f, batch);
    for (std::size_t r = 0; r < 3; ++r) {
      Values one = batch;
      for (const char* name : {"x", "x_dot"}) {
        Matrix<double> row(1, 5);
        for (std::size_t j = 0; j < 5; ++j) row(0, j) = batch[name](r, j);
        one[name] = row;
      }
      for (bool simd : {true, false}) {
        Values alone = run(f, one, {.simd = simd});
        for (std::size_t j = 0; j < 5; ++j)
          CHECK(alone["x_bar_dot"](0, j) == doctest::Approx(together["x_bar_dot"](r, j)).epsilon(1e-13));
      }
    }
  }
}

TEST_CASE("reductions over the batch are bitwise the same for 1, 2 and 3 threads at a given chunk size") {
  std::mt19937_64 rng(21);
  Tape f = mlp_tape(4, 16, [](Var a) { return softplus(a); });
  Tape g = grad(f, {"x", "W1", "b1", "W2", "W3"});
  Values at = random_inputs(f, 1001, rng);
  for (int chunk : {7, 64, 0}) {
    CAPTURE(chunk);
    const Values one = run(g, at, {.threads = 1, .chunk_rows = chunk});
    for (int threads : {2, 3}) {
      CAPTURE(threads);
      const Values many = run(g, at, {.threads = threads, .chunk_rows = chunk});
      for (auto& [name, m] : one) CHECK(closeness(many.at(name), m, 0, 1e-300) <= 1);  // bit for bit
    }
  }
}

TEST_CASE("a chain of 100 000 nodes plans in linear time and runs") {
  Recorder rec;
  Var x = rec.data("x", 3);
  Var y = x;
  for (int i = 0; i < 100000; ++i) y = tanh(y) * 1.0001;
  rec.output("y", sum_cols(y));
  const Tape t = rec.finish();
  CHECK(t.nodes().size() > 150000);
  Program<double> p(t, {}, {.threads = 2});
  Matrix<double> X(50, 3, 0.5);
  p.set("x", X);
  p.run();
  CHECK(std::isfinite(p.get("y")(49, 0)));
}

TEST_CASE("check_finite sees a NaN that reaches an output through an input") {
  Recorder rec;
  Var x = rec.data("x", 1);
  rec.output("phi", 0.5 * square(x));
  Tape g = grad(rec.finish(), {"x"});  // x_bar = x: the output is the input, no step computes it
  Program<double> p(g, {"x_bar"}, {.check_finite = true});
  Matrix<double> X{{1.0}, {NAN}};
  p.set("x", X);
  CHECK_THROWS_WITH_AS(p.run(), doctest::Contains("input 'x' holds NaN at row 1, column 0"), NonFiniteError);
}

TEST_CASE("absurd program options and sizes are refused before they are allocated") {
  Tape f = mlp_tape(3, 4, [](Var a) { return tanh(a); });
  CHECK_THROWS_WITH_AS(Program<double>(f, {}, {.chunk_rows = std::numeric_limits<int>::max()}),
                       doctest::Contains("chunk_rows = 2147483647; use 1 to 65536"), UsageError);
  CHECK_THROWS_WITH_AS(Program<double>(f, {}, {.threads = 1000}), doctest::Contains("use 1 to 256"), UsageError);
  Recorder rec;
  Var w = rec.parameter("w", 100000, 100000);  // 80 GB of doubles for w², more than the machine has
  rec.output("y", sum_rows(sum_cols(square(w))));
  CHECK_THROWS_WITH_AS(Program<double>(rec.finish()), doctest::Contains("the planned buffers needs about"), UsageError);
}

TEST_CASE("the planner fuses the element-wise chains hvp emits: fewer steps than nodes, one line each in the profile") {
  const Tape g = hvp(mlp_tape(16, 64, [](Var a) { return tanh(a); }), "x");
  Program<double> fused(g, {}, {.profile = true}), apart(g, {}, {.profile = true, .fuse = false});
  const auto steps = [](const std::string& profile) {  // "profile: N steps, ..."
    return std::stoul(profile.substr(std::string("profile: ").size()));
  };
  CHECK(steps(fused.profile()) < steps(apart.profile()));
  CHECK(steps(fused.profile()) < g.nodes().size());
  CHECK(fused.profile().find("fused with the next") != std::string::npos);
  CHECK(apart.profile().find("fused") == std::string::npos);
  CHECK(fused.describe().find("element-wise chains fused") != std::string::npos);
  // What dies inside a group stays in its scratch: some group keeps fewer results than it computes.
  const std::regex kept(R"(\((\d+) of (\d+) results kept\))");
  const std::string text = fused.profile();
  bool some_dropped = false;
  for (auto m = std::sregex_iterator(text.begin(), text.end(), kept); m != std::sregex_iterator(); ++m)
    some_dropped |= std::stoul((*m)[1]) < std::stoul((*m)[2]);
  CHECK(some_dropped);
}

TEST_CASE("the profile lists every step with its share of the time, and changes no number") {
  const Tape g = hvp(mlp_tape(16, 64, [](Var a) { return tanh(a); }), "x");
  std::mt19937_64 rng(4);
  for (std::size_t rows : {std::size_t(1), std::size_t(1024)}) {
    CAPTURE(rows);
    const Values at = random_inputs(g, rows, rng);
    const Values plain = run(g, at, {.threads = 2});
    Program<double> p(g, {}, {.threads = 2, .profile = true});
    for (const auto& [name, m] : at) p.set(name, m);
    for (int r = 0; r < 3; ++r) p.run();
    for (const Output& out : g.outputs()) {
      const MatrixView<const double> got = p.get(out.name);
      CHECK(std::equal(got.data, got.data + got.rows * got.cols, plain.at(out.name).data()));
    }
    const std::string text = p.profile();
    CHECK(text.find("3 runs") != std::string::npos);
    CHECK(text.find("matmul") != std::string::npos);
    // One line per step after the two header lines, and the shares add up to 100%.
    std::size_t lines = 0;
    double shares = 0;
    for (std::size_t at_line = text.find('\n', text.find('\n') + 1); at_line + 1 < text.size();
         at_line = text.find('\n', at_line + 1)) {
      shares += std::stod(text.substr(at_line + 1, 9));
      ++lines;
    }
    CHECK(lines >= 10);
    CHECK(shares == doctest::Approx(100).epsilon(0.01));
    p.reset_profile();
    CHECK(p.profile().find("0 runs") != std::string::npos);
  }
  Program<double> unprofiled(g);
  CHECK_THROWS_WITH_AS(unprofiled.profile(), doctest::Contains("profile = true"), UsageError);
}

TEST_CASE("a row's outputs do not depend on the rows beside it: splits of the batch give the same bits") {
  // At 16 rows and more the weights' transposes are formed (products along rows);
  // below, the weights are read by rows (dot products, summed in another order):
  // within each regime, any split gives the same bits.
  std::mt19937_64 rng(14);
  // A time-conditioned potential (sin and cos of the level, silu) and its score, and an MLP's HVP.
  const nn::Potential phi = nn::edm_mlp({3, 12, 12, 1}, nn::Activation::silu, 4, 1.3);
  const std::vector<double> theta = nn::initial_parameters(phi, 3);
  Program<double> score(grad(phi.tape, {"x"}, "phi"), {"x_bar"});
  phi.bind(score, std::span<const double>(theta));
  Program<double> hvp_program(hvp(mlp_tape(3, 16, [](Var a) { return tanh(a); }), "x"), {"x_bar_dot"});
  const Values weights = random_inputs(hvp_program.tape(), 1, rng);
  for (const auto& [name, m] : weights)
    if (name != "x" && name != "x_dot") hvp_program.set(name, m.view());
  const std::size_t rows = 53;
  const Values data{{"x", random_matrix(rows, 3, rng, -40, 40)},
                    {"t", random_matrix(rows, 1, rng, 0.001, 1)},
                    {"x_dot", random_matrix(rows, 3, rng)}};
  const auto outputs = [&](Program<double>& p, const std::string& out, std::size_t from, std::size_t count) {
    std::vector<Matrix<double>> parts;
    for (const auto& [name, m] : data) {
      if (!p.tape().has_input(name)) continue;
      Matrix<double> part(count, m.cols());
      std::copy_n(&m(from, 0), count * m.cols(), part.data());
      parts.push_back(part);
      p.set(name, parts.back().view());
    }
    p.run();
    return to_matrix(p.get(out));
  };
  const auto same = [](const Matrix<double>& part, const Matrix<double>& whole, std::size_t from) {
    return std::memcmp(part.data(), &whole(from, 0), part.rows() * part.cols() * sizeof(double)) == 0;
  };
  for (const auto& program :
       {std::pair{&score, std::string("x_bar")}, std::pair{&hvp_program, std::string("x_bar_dot")}}) {
    Program<double>* p = program.first;
    const std::string& out = program.second;  // named, not bound: clang 14 cannot capture a structured binding
    CAPTURE(out);
    const Matrix<double> whole = outputs(*p, out, 0, rows), few = outputs(*p, out, 0, 15);
    for (std::size_t split : {16u, 21u, 37u}) {
      CAPTURE(split);
      CHECK(same(outputs(*p, out, 0, split), whole, 0));
      CHECK(same(outputs(*p, out, split, rows - split), whole, split));
    }
    for (std::size_t split : {1u, 4u, 7u, 14u}) {  // one row alone runs the paired products
      CAPTURE(split);
      CHECK(same(outputs(*p, out, 0, split), few, 0));
      CHECK(same(outputs(*p, out, split, 15 - split), few, split));
    }
  }
}

TEST_CASE("a run of one row takes its steps' arguments as found once: the bits of the chunked run, however bound") {
  // With profile a run goes chunk by chunk (each step timed), the path a one-row run leaves out.
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    CAPTURE(seed);
    for (const Tape& t : random_tape_and_derivatives(seed)) {
      Program<double> fast(t), chunked(t, {}, {.profile = true});
      for (int round = 0; round < 2; ++round) {  // the second binds new matrices, to a moved program
        std::mt19937_64 rng(3000 + seed + 7 * round);
        const Values at = random_inputs(t, 1, rng);
        if (round == 1) fast = Program<double>(std::move(fast));
        for (const auto& entry : at) {
          fast.set(entry.first, entry.second.view());
          chunked.set(entry.first, entry.second.view());
        }
        fast.run();
        chunked.run();
        for (const Output& out : fast.tape().outputs()) {
          CAPTURE(out.name);
          const MatrixView<const double> a = fast.get(out.name), b = chunked.get(out.name);
          CHECK(std::memcmp(a.data, b.data, a.rows * a.cols * sizeof(double)) == 0);
        }
      }
    }
  }
}
