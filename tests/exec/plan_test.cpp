// The planner's decisions about how values are formed, each against the
// numbers of the plain way: views read in place, chains of shared steps fused,
// row scales folded into weights at large batches.
#include <doctest/doctest.h>

#include <cstring>
#include <regex>
#include <string>

#include "support/harness.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/score/loss.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {

// The count in "at large batches N products (X ⊙ r)·B ..." of Program::describe, 0 if absent.
std::size_t folded_products(const std::string& description) {
  std::smatch m;
  return std::regex_search(description, m, std::regex(R"(at large batches (\d+) products)")) ? std::stoul(m[1]) : 0;
}

// The outputs of p run over the rows of `at` (data inputs, one row per sample) one row at a time.
Values row_by_row(Program<double>& p, const Values& at, std::size_t rows) {
  Values out;
  for (const auto& [name, m] : at)
    if (p.tape().inputs()[p.tape().input_index(name)].shape.rows != batch) p.set(name, m.view());
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<Matrix<double>> parts;
    parts.reserve(at.size());
    for (const auto& [name, m] : at) {
      if (p.tape().inputs()[p.tape().input_index(name)].shape.rows != batch) continue;
      parts.emplace_back(1, m.cols());
      std::copy_n(&m(r, 0), m.cols(), parts.back().data());
      p.set(name, parts.back().view());
    }
    p.run();
    for (const Output& o : p.tape().outputs()) {
      const MatrixView<const double> y = p.get(o.name);
      if (r == 0) out[o.name] = Matrix<double>(rows, y.cols);
      std::copy_n(y.data, y.cols, &out[o.name](r, 0));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("rows of a weight, a row's transpose and a slice of one row are read in place, with the same numbers") {
  Recorder rec;
  Var x = rec.data("x", 7);
  Var W = rec.parameter("W", 5, 7);
  Var rows = transpose(slice_cols(transpose(W), 2, 2));  // W's rows 2 and 3, as the fold cuts them
  Var row4 = transpose(slice_cols(transpose(W), 4, 1));
  Var cut = transpose(slice_cols(row4, 3, 3));  // W(4, 3..5) as a column: a view of a view
  rec.output("twice", 2.0 * rows);
  rec.output("cut", cut);
  rec.output("y", x * broadcast_rows(row4, batch));  // a bias row read through, from a view
  const Tape f = rec.finish();
  std::mt19937_64 rng(13);
  const Matrix<double> Wv = random_matrix(5, 7, rng);
  for (std::size_t rows_of_x : {1u, 40u}) {
    const Matrix<double> X = random_matrix(rows_of_x, 7, rng);
    Program<double> p(f);
    CHECK(p.describe().find("4 views of others' storage") != std::string::npos);
    CHECK(p.describe().find("1 once before the batch") != std::string::npos);  // only 2 * rows is formed
    p.set("x", X);
    p.set("W", Wv);
    p.run();
    for (std::size_t k = 0; k < 2; ++k)
      for (std::size_t j = 0; j < 7; ++j) CHECK(p.get("twice")(k, j) == 2.0 * Wv(2 + k, j));
    for (std::size_t k = 0; k < 3; ++k) CHECK(p.get("cut")(k, 0) == Wv(4, 3 + k));
    for (std::size_t r = 0; r < rows_of_x; ++r)
      for (std::size_t j = 0; j < 7; ++j) CHECK(p.get("y")(r, j) == X(r, j) * Wv(4, j));
  }
}

TEST_CASE("chains of shared steps before the chunks fuse too, one group per run of equal rows, same bits") {
  Recorder rec;
  Var x = rec.data("x", 8);
  Var W = rec.parameter("W", 3, 8), b = rec.parameter("b", 1, 8);
  Var scaled = softplus(W) * 2.0 + square(W);  // three rows: one group
  Var shift = tanh(b) * 3.0 - square(b);       // one row: another
  rec.output("y", matmul(x, transpose(scaled)) + broadcast_rows(matmul(shift, transpose(scaled)), batch));
  const Tape f = rec.finish();
  std::mt19937_64 rng(14);
  const Values at = random_inputs(f, 5, rng);
  Program<double> fused(f, {}, {.profile = true}), apart(f, {}, {.fuse = false});
  CHECK(fused.describe().find("10 once before the batch (run as 4 steps") != std::string::npos);
  CHECK(apart.describe().find("10 once before the batch,") != std::string::npos);
  for (const auto& [name, m] : at) {
    fused.set(name, m);
    apart.set(name, m);
  }
  fused.run();
  apart.run();
  const MatrixView<const double> y = fused.get("y"), expected = apart.get("y");
  CHECK(std::equal(y.data, y.data + y.rows * y.cols, expected.data));
  CHECK(fused.profile().find("once, before the chunks, fused with the next 3 element-wise steps") != std::string::npos);
}

// A sum over the batch that follows an element-wise chain adds each row of its
// argument while the row is in L1; the rows in the order its own step adds
// them, so the same bits, in chunks, blocks of rows and threads. Two sums into
// one total do not share a group: each adds its rows together, as apart. A
// row's sum (sum_cols) joins as a step of its row, and the chain goes on after it.
TEST_CASE("sums over the batch and row sums join the element-wise group before them, with the same bits") {
  Recorder rec;
  Var x = rec.data("x", 6);
  Var W = rec.parameter("W", 6, 5), b = rec.parameter("b", 1, 5);
  Var a = tanh(matmul(x, W) + broadcast_rows(b, batch));
  Var s = a * a + 0.5;  // read by its sum alone: never leaves the group's scratch
  rec.output("a", a);
  rec.output("total", sum_rows(s));
  rec.output("mean", mean_rows(exp(a)));
  rec.output("merged", sum_rows(2.0 * a) + sum_rows(square(a)));  // one total, two parts
  rec.output("norm", sqrt(sum_cols(exp(2.0 * a)) + 1.0));         // a row sum inside a chain
  const Tape f = rec.finish();
  Program<double> planned(f, {}, {.profile = true});
  const std::string profile = planned.profile();
  INFO(profile);
  CHECK(profile.find("and 3 sums over the batch") != std::string::npos);  // total, mean and a part of merged
  CHECK(profile.find(", 1 row sums") != std::string::npos);
  CHECK(profile.find("(B, 5)     per chunk, fused") != std::string::npos);
  CHECK(std::regex_search(profile, std::regex(R"(sum_rows +\(1, 5\) +per chunk)")));  // the other part, apart
  // 4000 rows: twelve blocks of sums, each a chunk of about 333 rows in several blocks of the group's rows.
  for (std::size_t rows : {1u, 7u, 300u, 4000u})
    for (int threads : {1, 2})
      for (int chunk_rows : {0, 16}) {
        CAPTURE(rows);
        CAPTURE(threads);
        CAPTURE(chunk_rows);
        std::mt19937_64 rng(17 + rows);
        const Values at = random_inputs(f, rows, rng);
        const Values fused = run(f, at, {.threads = threads, .chunk_rows = chunk_rows}),
                     apart = run(f, at, {.threads = threads, .chunk_rows = chunk_rows, .fuse = false});
        for (const auto& entry : apart) {  // not a structured binding: clang 14 cannot capture one
          CAPTURE(entry.first);
          const Matrix<double>& other = fused.at(entry.first);
          CHECK(std::memcmp(entry.second.data(), other.data(), other.rows() * other.cols() * sizeof(double)) == 0);
        }
      }
}

TEST_CASE("a product of row-scaled rows with a weight runs as X·(diag(r)·B) at large batches, with the same numbers") {
  Recorder rec;
  Var x = rec.data("x", 5);
  Var r = rec.parameter("r", 1, 5), s = rec.parameter("s", 1, 5);
  Var W = rec.parameter("W", 5, 4), V = rec.parameter("V", 5, 3);
  Var X = tanh(x) + 0.5;
  Var scaled = X * broadcast_rows(r, batch);        // two products, both with weights: folds twice
  Var kept = broadcast_rows(s, batch) * X;          // an output too: formed
  Var input_scaled = x * broadcast_rows(s, batch);  // the rows of an input: folds
  rec.output("y", matmul(scaled, W));
  rec.output("z", matmul(scaled, V) + matmul(input_scaled, V));
  rec.output("kept", kept);
  rec.output("w", matmul(kept, W));
  const Tape f = rec.finish();
  std::mt19937_64 rng(15);
  const std::size_t rows = 40;
  const Values at = random_inputs(f, rows, rng);
  Program<double> p(f);
  CHECK(folded_products(p.describe()) == 3);
  const Values large = run(f, at), small = row_by_row(p, at, rows);  // 40 rows fold; one row alone does not
  for (const auto& output : small) {  // not a structured binding: clang 14 cannot capture one
    CAPTURE(output.first);
    CHECK(closeness(large.at(output.first), output.second, 1e-14, 1e-15) <= 1);
  }
  // Fused or not, in chunks of one row or many, a large batch gives the same bits.
  for (const ProgramOptions options : {ProgramOptions{.fuse = false}, ProgramOptions{.chunk_rows = 1}}) {
    const Values other = run(f, at, options);
    for (const auto& [name, m] : large) CHECK(closeness(other.at(name), m, 0, 1e-300) <= 1);
  }
}

TEST_CASE("with a sum over the batch, chunks of one row in a large batch fold the scale too") {
  // The sum's blocks make chunks of one row, where two products with one weight would run as a pair.
  const Tape lap = laplacian(mlp_tape(3, 8, [](Var a) { return softplus(a); }), "x");
  Recorder rec;
  std::vector<std::pair<std::string, Var>> args{{"x", rec.data("x", 3)}};
  for (const Input& in : lap.inputs())
    if (in.name != "x") args.emplace_back(in.name, rec.parameter(in.name, in.shape.rows, in.shape.cols));
  const std::vector<Var> out = rec.call(lap, args);
  rec.output("mean_laplacian", mean_rows(out[2]));
  const Tape f = rec.finish();
  std::mt19937_64 rng(16);
  const Values at = random_inputs(f, 16, rng);
  Program<double> p(f);
  CHECK(folded_products(p.describe()) == 4);  // d + 1
  const Values large = run(f, at), small = row_by_row(p, at, 16);
  double mean = 0;
  for (std::size_t k = 0; k < 16; ++k) mean += small.at("mean_laplacian")(k, 0) / 16;
  CHECK(large.at("mean_laplacian")(0, 0) == doctest::Approx(mean).epsilon(1e-13));
}

TEST_CASE("reverse mode's (ḡ ⊙ r)·Wᵀ folds too, and a value and its tangent share one scaled weight") {
  // In an MLP's HVP the last layer's row W3ᵀ scales the adjoint and its tangent, each then a product with W2ᵀ.
  const Tape f = hvp(mlp_tape(3, 8, [](Var a) { return tanh(a); }), "x");
  Program<double> p(f, {"x_bar_dot"});
  const std::string description = p.describe();
  CHECK(folded_products(description) == 2);
  CHECK(description.find("1 weights diag(r)·B") != std::string::npos);
  std::mt19937_64 rng(17);
  const std::size_t rows = 30;
  const Values at = random_inputs(f, rows, rng);
  const Values large = run(f, at), small = row_by_row(p, at, rows);
  CHECK(closeness(large.at("x_bar_dot"), small.at("x_bar_dot"), 1e-13, 1e-14) <= 1);
}

TEST_CASE("row scales fold into weights while the scaled weights fit their cache budget") {
  // The forward Laplacian's d + 1 products through W2, each with a weight of its own once folded:
  // at d = 16, h = 64 all fit; at d = 64, h = 128 some, twice as many in float as in double.
  const Tape small = laplacian(mlp_tape(16, 64, [](Var a) { return tanh(a); }), "x");
  CHECK(folded_products(Program<double>(small).describe()) == 17);
  const Tape wide = laplacian(mlp_tape(64, 128, [](Var a) { return tanh(a); }), "x");
  const std::size_t in_double = folded_products(Program<double>(wide).describe());
  CHECK(in_double > 0);
  CHECK(in_double < 65);
  CHECK(folded_products(Program<float>(wide).describe()) == 2 * in_double);
}

TEST_CASE("a layer's product adds its bias row as it stores: the add is no step, and the bits are the same") {
  const Tape f = mlp_tape(3, 8, [](Var a) { return tanh(a); });
  for (const Tape& t : {f, hvp(f, "x")})
    for (std::size_t rows : {1u, 7u, 300u}) {
      CAPTURE(rows);
      std::mt19937_64 rng(16);
      const Values at = random_inputs(t, rows, rng);
      Program<double> fused(t, {}, {.chunk_rows = 64, .profile = true}),
          apart(t, {}, {.chunk_rows = 64, .fuse = false});
      for (const auto& [name, m] : at) {
        fused.set(name, m);
        apart.set(name, m);
      }
      fused.run();
      apart.run();
      for (const Output& o : t.outputs()) {
        const MatrixView<const double> y = fused.get(o.name), expected = apart.get(o.name);
        CHECK(std::equal(y.data, y.data + y.rows * y.cols, expected.data));
      }
      // Both hidden layers' products add their rows; the adds x·W + b are not steps.
      const std::string profile = fused.profile();
      const std::regex adding("adding the bias row");
      CHECK(std::distance(std::sregex_iterator(profile.begin(), profile.end(), adding), std::sregex_iterator()) == 2);
      CHECK(profile.find(" add ") == std::string::npos);
    }
  // A product that something else reads too is formed as it is, and the add stays a step.
  Recorder rec;
  Var x = rec.data("x", 3);
  Var w = rec.parameter("W", 3, 4), b = rec.parameter("b", 1, 4);
  Var y = matmul(x, w);
  rec.output("phi", sum_cols(tanh(y + broadcast_rows(b, batch)) + sin(y)));
  Program<double> p(rec.finish(), {}, {.profile = true});
  CHECK(p.profile().find("adding the bias row") == std::string::npos);
}

TEST_CASE("a tape that sums products over the batch runs chunks of at least 24 rows while the arena fits 1 MiB") {
  // The exact score-matching loss's weight gradient at d = 16: an arena of a few
  // thousand columns, 8 rows within 256 KiB; its sums Xᵀ·Y want more rows.
  const nn::Potential phi = nn::mlp({16, 64, 64, 1}, nn::Activation::softplus, 0.01);
  std::vector<std::string> weights;
  for (const auto& block : phi.blocks) weights.push_back(block.name);
  const Tape g = grad(score::loss_tape(phi, {}), weights, "J");
  const std::string text = Program<double>(g).describe();
  std::smatch arena, rows;
  REQUIRE(std::regex_search(text, arena, std::regex(R"(arena (\d+) columns)")));
  REQUIRE(std::regex_search(text, rows, std::regex(R"(per chunk of (\d+) rows)")));
  const std::size_t row_bytes = std::stoul(arena[1]) * sizeof(double);
  CHECK(row_bytes * 8 > (256u << 10));  // the 256 KiB rule alone would take 8 rows
  CHECK(row_bytes * 24 <= (1u << 20));
  CHECK(std::stoul(rows[1]) == 24);
  // A forward pass of the same width, with no sums over the batch, keeps the 256 KiB rule.
  const std::string forward = Program<double>(phi.tape).describe();
  REQUIRE(std::regex_search(forward, rows, std::regex(R"(per chunk of (\d+) rows)")));
  REQUIRE(std::regex_search(forward, arena, std::regex(R"(arena (\d+) columns)")));
  CHECK(std::stoul(rows[1]) ==
        std::min<std::size_t>(512, (256u << 10) / (std::stoul(arena[1]) * sizeof(double)) / 8 * 8));
}

// A step that reads one value twice at its last use (t / t; the fold makes
// t * t a square and t + t a scaling) gives its scratch columns back once:
// given back twice, two later values of the group would share them.
TEST_CASE("a value read twice by its last step frees its scratch columns once") {
  Recorder rec;
  Var x = rec.data("x", 4);
  Var t = exp(x * 0.5);
  Var u = t / t;
  rec.output("y", exp(u * 0.1) + sin(u));  // two values alive at once after t's last use
  const Tape f = rec.finish();
  for (std::size_t rows : {1u, 9u}) {  // one row runs its own path
    std::mt19937_64 rng(23);
    const Values at = random_inputs(f, rows, rng);
    const Values fused = run(f, at, {}), apart = run(f, at, {.fuse = false});
    CHECK(std::memcmp(fused.at("y").data(), apart.at("y").data(), rows * 4 * sizeof(double)) == 0);
  }
}

// Random element-wise graphs, where a group's scratch columns are taken and
// given back most: each value made from one or two of the last few (so many
// stay alive at once), now and then a value divided by itself, and a few of
// them outputs. Fused and step by step give the same bits at 1, 7 and 70 rows.
TEST_CASE("random element-wise graphs: fused groups give the bits of their steps one by one") {
  std::size_t fused_graphs = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    Recorder rec;
    std::vector<Var> pool{rec.data("x", 1 + static_cast<Dim>(pick(5)))};
    auto recent = [&] { return pool[pool.size() - 1 - pick(std::min<std::size_t>(pool.size(), 4))]; };
    const std::size_t steps = 4 + pick(20);
    for (std::size_t s = 0; s < steps; ++s) {
      const Var a = recent(), b = recent();
      switch (pick(7)) {
        case 0: pool.push_back(tanh(a)); break;
        case 1: pool.push_back(exp(-square(a))); break;
        case 2: pool.push_back(a * b); break;
        case 3: pool.push_back(a - b * 0.5); break;
        case 4: pool.push_back(a / (1.0 + square(b))); break;
        case 5: pool.push_back(sin(a) + b); break;
        case 6: {
          const Var q = 1.0 + square(a);
          pool.push_back(q / q);
          break;
        }
      }
    }
    for (std::size_t k = 0; k < pool.size(); k += 1 + pick(6))
      if (k > 0) rec.output(std::to_string(k).insert(0, 1, 'y'), pool[k]);  // "y" + k: GCC 12 warns falsely of overlap
    rec.output("last", pool.back());
    const Tape f = rec.finish();
    fused_graphs += Program<double>(f).describe().find("element-wise chains fused") != std::string::npos;
    for (std::size_t rows : {1u, 7u, 70u}) {
      CAPTURE(rows);
      const Values at = random_inputs(f, rows, rng);
      const Values fused = run(f, at, {.chunk_rows = 32}), apart = run(f, at, {.chunk_rows = 32, .fuse = false});
      for (const auto& entry : apart) {  // not a structured binding: clang 14 cannot capture one
        CAPTURE(entry.first);
        const Matrix<double>& other = fused.at(entry.first);
        CHECK(std::memcmp(entry.second.data(), other.data(), other.rows() * other.cols() * sizeof(double)) == 0);
      }
    }
  }
  CHECK(fused_graphs > 250);
}
