// Checkpoints: a run resumed from any of its checkpoints ends with the bits the
// run that never stopped ended with; damaged or foreign checkpoints are refused.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <fmt/format.h>
#include <wengert/diffusion/train.hpp>
#include <wengert/nn/checkpoint.hpp>
#include <wengert/nn/model_file.hpp>
#include <wengert/score/train.hpp>

#include "io/text_reader.hpp"
#include "support/harness.hpp"

using namespace wengert;

namespace {

std::string scratch(const std::string& name) {
  return (std::filesystem::temp_directory_path() / fmt::format("wengert_checkpoint_test_{}", name)).string();
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The text with its checksum line made to match again (a crafted file, not an accident).
void write_signed(const std::string& path, std::string text) {
  text.erase(text.rfind("checksum "));
  std::ofstream(path) << text << fmt::format("checksum {:016x}\n", io::fnv1a(text));
}

// An MLP's score-matching-like loss on rows that depend on the step alone: a source with no state.
struct Problem {
  nn::Potential phi = nn::mlp({2, 8, 1}, nn::Activation::tanh);
  Tape loss;
  Problem() {
    Recorder rec;
    Var x = rec.data("x", 2);
    auto args = phi.record_parameters(rec);
    args.emplace(args.begin(), "x", x);
    Var y = rec.call(phi.tape, args)[0];
    rec.output("J", mean_rows(y * y + 0.1 * dot(x, x) * y));
    loss = rec.finish();
  }
  static void source(nn::Batch& batch, std::size_t step) {
    std::mt19937_64 rng(step);
    std::normal_distribution<double> normal;
    Matrix<double>& x = batch["x"];
    for (std::size_t i = 0; i < x.rows() * x.cols(); ++i) x.data()[i] = normal(rng);
  }
};

}  // namespace

TEST_CASE("fit resumed from the state at any evaluation ends where the run that never stopped ended") {
  Problem p;
  for (const char* optimizer : {"adam", "sgd"})
    for (nn::Keep keep : {nn::Keep::last, nn::Keep::ema, nn::Keep::best}) {
      CAPTURE(optimizer);
      CAPTURE(nn::to_string(keep));
      nn::FitOptions options{.optimizer = optimizer,
                             .learning_rate = 0.02,
                             .warmup = 5,
                             .steps = 60,
                             .batch = 16,
                             .eval_every = 10,
                             .patience = 3,
                             .keep = keep};
      std::vector<nn::FitState> states;
      nn::FitCallbacks callbacks;
      double evaluations = 0;
      callbacks.evaluate = [&](std::span<const double> theta) { return std::abs(theta[0] - 0.1 * ++evaluations); };
      callbacks.checkpoint = [&](const nn::FitState& s) { states.push_back(s); };
      const nn::FitResult full =
          nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 3), Problem::source, options, callbacks);
      REQUIRE(states.size() >= 2);
      CHECK(states.back().step == full.history.back().step);
      callbacks.checkpoint = nullptr;
      for (const nn::FitState& s : states) {
        CAPTURE(s.step);
        evaluations = double(s.step / 10);  // the evaluation's own state, which the caller keeps
        options.resume = &s;
        const nn::FitResult resumed =
            nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 99), Problem::source, options, callbacks);
        CHECK(resumed.theta == full.theta);  // bit for bit
        CHECK(resumed.best_step == full.best_step);
        CHECK(resumed.stopped_early == full.stopped_early);
      }
      options.resume = nullptr;
    }
}

TEST_CASE("score::train resumed from a checkpoint file equals the run that never stopped") {
  const nn::Potential phi = nn::mlp({2, 16, 16, 1}, nn::Activation::softplus);
  const score::Dataset ring = score::dataset("ring8");
  const Matrix<double> rows = ring.sample(600, 4);
  const std::string path = scratch("run.ck"), copy = scratch("copy.ck");
  struct Case {
    bool stream;
    score::Loss loss;
    nn::Keep keep;
  };
  for (const Case c :
       {Case{true, score::Loss::exact, nn::Keep::ema}, Case{false, score::Loss::hutchinson, nn::Keep::best},
        Case{false, score::Loss::denoising, nn::Keep::last}, Case{true, score::Loss::automatic, nn::Keep::last}}) {
    CAPTURE(c.stream);
    score::TrainOptions o{.steps = 90,
                          .batch = 32,
                          .seed = 5,
                          .keep = c.keep,
                          .holdout = 0.2,
                          .evaluation_rows = 200,
                          .eval_every = 20,
                          .checkpoint = path};
    o.loss.kind = c.loss;
    o.loss.probes = 2;
    o.learning_rate = 1e-2;
    // The checkpoint file as it stood at step 60's report (the state at step 40), kept aside.
    o.report = [&](const score::Progress& p) {
      if (p.step == 60) std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
    };
    const auto run = [&](const score::TrainOptions& options) {
      return c.stream ? score::train(phi, nn::initial_parameters(phi, 1), ring, options)
                      : score::train(phi, nn::initial_parameters(phi, 1), rows, options, &ring);
    };
    const score::TrainResult full = run(o);
    CHECK(nn::load_model(path).second == full.theta);  // the last checkpoint's model is what training returned
    o.resume = copy;
    o.report = nullptr;
    o.threads = 2;  // threads are not a setting a resumed run must repeat
    const score::TrainResult resumed = run(o);
    CHECK(resumed.history.size() == full.history.size());
    if (c.loss == score::Loss::automatic) CHECK(resumed.loss.kind == full.loss.kind);  // the checkpoint's choice
    CHECK(resumed.theta == full.theta);  // bit for bit, on another number of threads too
    o.learning_rate = 2e-2;
    CHECK_THROWS_WITH_AS(run(o), doctest::Contains("'rate 0.01 cosine 0'; this run has 'rate 0.02 cosine 0'"),
                         UsageError);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(copy);
}

TEST_CASE("diffusion::train resumed from a checkpoint file equals the run that never stopped") {
  const nn::Potential phi = nn::edm_mlp({2, 12, 12, 1}, nn::Activation::silu, 4, 1.4);
  const score::Dataset ring = score::dataset("ring8");
  const std::string path = scratch("diffusion.ck"), copy = scratch("diffusion_copy.ck");
  for (bool stream : {true, false}) {
    CAPTURE(stream);
    diffusion::TrainOptions o{.steps = 90, .batch = 32, .keep = nn::Keep::ema, .checkpoint = path, .report_every = 20};
    o.loss = stream ? diffusion::Loss::denoising : diffusion::Loss::hutchinson;
    o.report = [&](std::size_t step, double) {  // at step 60 the file holds the state at step 40
      if (step == 60) std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
    };
    const Matrix<double> rows = ring.sample(500, 2);
    const auto run = [&](const diffusion::TrainOptions& options) {
      return stream ? diffusion::train(phi, nn::initial_parameters(phi, 1), ring, options)
                    : diffusion::train(phi, nn::initial_parameters(phi, 1), rows, options);
    };
    const std::vector<double> full = run(o);
    o.resume = copy;
    o.report = nullptr;
    CHECK(run(o) == full);  // bit for bit
    o.batch = 16;
    CHECK_THROWS_WITH_AS(run(o), doctest::Contains("'batch 32'; this run has 'batch 16'"), UsageError);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(copy);
}

TEST_CASE("checkpoints: damaged, crafted or foreign files are refused, naming the file and what is wrong") {
  const nn::Potential phi = nn::mlp({2, 4, 1}, nn::Activation::tanh);
  const Matrix<double> rows = score::dataset("two_moons").sample(100, 1);
  const std::string path = scratch("damage.ck"), bad = scratch("bad.ck");
  score::TrainOptions o{.steps = 20, .batch = 10, .eval_every = 10, .checkpoint = path};
  score::train(phi, nn::initial_parameters(phi, 1), rows, o);
  const std::string text = read(path);
  o.checkpoint.clear();
  o.resume = bad;
  const auto refused = [&](const std::string& contents, const std::string& why, bool sign = true) {
    CAPTURE(why);
    if (sign)
      write_signed(bad, contents);
    else
      std::ofstream(bad) << contents;
    CHECK_THROWS_WITH_AS(score::train(phi, nn::initial_parameters(phi, 1), rows, o), doctest::Contains(why.c_str()),
                         IoError);
  };
  refused(text.substr(0, text.size() / 2), "truncated", false);
  std::string flipped = text;
  flipped[text.find("record theta") + 20] ^= 1;
  refused(flipped, "checksum does not match", false);
  std::string order = text;
  const std::size_t at = order.find("record order");
  const std::size_t first = order.find('\n', at) + 1;
  order.replace(first, order.find('\n', first) - first, "100");  // the first row of the order: beyond the data's rows
  refused(order, "not a row of the data's 100");
  std::string announced = text;
  announced.replace(announced.find("record history ") + 15, 2, "99999");
  refused(announced, "announces 99999 lines");
  std::string repeated = text;
  repeated.replace(repeated.find("record cursor"), 13, "record random");
  refused(repeated, "repeats the record 'random'");
  std::string random = text;
  const std::size_t state = random.find('\n', random.find("record random")) + 1;
  REQUIRE(state < random.size());
  random[state] = 'x';
  refused(random, "is not the state of this trainer's random stream");
  std::string missing = text;
  missing.replace(missing.find("record monitor"), 14, "record monitoR");
  refused(missing, "'monitor' is missing");
  refused(read(path).replace(0, 20, "wengert-checkpoint 2"), "format version");
  nn::save_model(bad, phi, nn::initial_parameters(phi, 1));
  CHECK_THROWS_WITH_AS(score::train(phi, nn::initial_parameters(phi, 1), rows, o),
                       doctest::Contains("is not a wengert-checkpoint file"), IoError);
  // Another architecture, and another data set: settings that differ.
  o.resume = path;
  const nn::Potential wider = nn::mlp({2, 5, 1}, nn::Activation::tanh);
  CHECK_THROWS_WITH_AS(score::train(wider, nn::initial_parameters(wider, 1), rows, o),
                       doctest::Contains("'potential mlp 2,4,1 tanh 0'"), UsageError);
  const Matrix<double> other = score::dataset("two_moons").sample(100, 2);
  CHECK_THROWS_WITH_AS(score::train(phi, nn::initial_parameters(phi, 1), other, o),
                       doctest::Contains("'data rows 100x2"), UsageError);
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

TEST_CASE("an optimiser's state is refused when it does not fit the parameters") {
  nn::Adam adam;
  const std::vector<double> three(3, 0.5);
  CHECK_THROWS_WITH_AS(adam.restore(three, 2), doctest::Contains("5 values"), UsageError);
  nn::Sgd sgd;
  CHECK_THROWS_WITH_AS(sgd.restore(three, 2), doctest::Contains("2 parameters need 2"), UsageError);
  std::vector<double> theta{1, 2}, g{0.5, -1};
  adam.step(theta, g, 0.1);
  nn::Adam copy;
  copy.restore(adam.state(), 2);
  std::vector<double> a = theta, b = theta;
  adam.step(a, g, 0.1);
  copy.step(b, g, 0.1);
  CHECK(a == b);
}
