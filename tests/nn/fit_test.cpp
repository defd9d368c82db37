// The training core: it minimises what the loss tape records, keeps what it is
// asked to keep, stops early, and refuses bad settings.
#include <doctest/doctest.h>

#include <wengert/nn/fit.hpp>

#include "support/harness.hpp"

using namespace wengert;

namespace {

// phi(x) = ½‖x - mu‖², and the loss J = mean_rows ½‖mu - x‖²: its minimiser is the mean of the rows.
struct MeanProblem {
  nn::Potential phi = nn::quadratic(2);
  Tape loss;
  MeanProblem() {
    Recorder rec;
    Var x = rec.data("x", 2);
    auto parameters = phi.record_parameters(rec);
    Var diff = x - parameters[0].second;                // mu
    rec.output("J", mean_rows(0.5 * dot(diff, diff)));  // L is not used: its gradient is zero
    loss = rec.finish();
  }
};

}  // namespace

TEST_CASE("fit minimises the loss tape: the mean of fixed rows") {
  MeanProblem p;
  Matrix<double> rows{{1, 2}, {3, -2}, {2, 3}};
  auto source = [&](nn::Batch& batch, std::size_t) { batch["x"] = rows; };
  nn::FitOptions options{
      .optimizer = "sgd", .learning_rate = 0.1, .schedule = nn::Schedule::constant, .steps = 600, .batch = 3};
  nn::FitResult r = nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, options);
  CHECK(r.theta[0] == doctest::Approx(2.0).epsilon(1e-10));
  CHECK(r.theta[1] == doctest::Approx(1.0).epsilon(1e-10));
}

TEST_CASE("fit keeps the best evaluation or the last iterate, and stops when patience runs out") {
  MeanProblem p;
  Matrix<double> rows{{1, 1}};
  auto source = [&](nn::Batch& batch, std::size_t) { batch["x"] = rows; };
  std::size_t evaluations = 0;
  nn::FitCallbacks callbacks;
  // An evaluation that gets worse after the third: the best is kept, and two more stop training.
  callbacks.evaluate = [&](std::span<const double>) {
    ++evaluations;
    return std::abs(double(evaluations) - 3.0);
  };
  nn::FitOptions options{
      .learning_rate = 0.1, .steps = 100, .batch = 1, .eval_every = 10, .patience = 2, .keep = nn::Keep::best};
  nn::FitResult best = nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, options, callbacks);
  CHECK(best.best_step == 30);
  CHECK(best.stopped_early);
  CHECK(best.history.size() == 5);
  evaluations = 0;
  options.keep = nn::Keep::last;
  nn::FitResult last = nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, options, callbacks);
  CHECK(last.theta != best.theta);
}

TEST_CASE("fit keeps the exponential moving average of the iterates it took") {
  MeanProblem p;
  // Rows that move with the step, so that every iterate differs from the last.
  auto source = [](nn::Batch& batch, std::size_t step) { batch["x"] = Matrix<double>{{double(step % 3), -1.0}}; };
  nn::FitOptions options{
      .optimizer = "sgd", .learning_rate = 0.3, .schedule = nn::Schedule::constant, .steps = 1, .batch = 1};
  const std::vector<double> theta0 = nn::initial_parameters(p.phi, 1);
  const double decay = 0.8;
  std::vector<double> mean = theta0;
  for (std::size_t step = 1; step <= 12; ++step) {  // the iterates one at a time, averaged here
    options.steps = step;
    const std::vector<double> iterate = nn::fit(p.phi, p.loss, theta0, source, options).theta;
    const double d = std::min(decay, (1.0 + double(step)) / (10.0 + double(step)));
    for (std::size_t i = 0; i < mean.size(); ++i) mean[i] = d * mean[i] + (1 - d) * iterate[i];
  }
  options.keep = nn::Keep::ema;
  options.ema_decay = decay;
  const std::vector<double> averaged = nn::fit(p.phi, p.loss, theta0, source, options).theta;
  options.keep = nn::Keep::last;
  const std::vector<double> last = nn::fit(p.phi, p.loss, theta0, source, options).theta;
  for (std::size_t i = 0; i < mean.size(); ++i) CHECK(averaged[i] == doctest::Approx(mean[i]).epsilon(1e-14));
  CHECK(averaged != last);
  CHECK(nn::keep_from("ema") == nn::Keep::ema);
  CHECK_THROWS_WITH_AS(nn::keep_from("average"), doctest::Contains("use last, ema or best"), UsageError);
}

TEST_CASE("the rate warms up linearly, then stays or falls along half a cosine") {
  MeanProblem p;
  Matrix<double> rows{{1, 2}};
  auto source = [&](nn::Batch& batch, std::size_t) { batch["x"] = rows; };
  std::vector<double> theta0 = nn::initial_parameters(p.phi, 1);
  theta0[0] = 0;  // mu_0; L is untouched by this loss
  auto after = [&](nn::FitOptions o) { return nn::fit(p.phi, p.loss, theta0, source, o).theta[0]; };
  // SGD with momentum 0.9 on ½(mu - 1)² from mu = 0, step by step at the given rates.
  auto sgd = [](std::initializer_list<double> rates) {
    double mu = 0, velocity = 0;
    for (double rate : rates) {
      velocity = 0.9 * velocity + (mu - 1);
      mu -= rate * velocity;
    }
    return mu;
  };
  nn::FitOptions warm{.optimizer = "sgd", .learning_rate = 0.5, .schedule = nn::Schedule::constant, .batch = 1};
  warm.warmup = 3;
  warm.steps = 5;
  CHECK(after(warm) == doctest::Approx(sgd({0.125, 0.25, 0.375, 0.5, 0.5})).epsilon(1e-14));
  const nn::FitOptions cosine{.optimizer = "sgd", .learning_rate = 0.5, .steps = 3, .batch = 1};
  CHECK(after(cosine) == doctest::Approx(sgd({0.5, 0.375, 0.125})).epsilon(1e-14));  // 0.5 (1 + cos(pi k/3)) / 2
  warm.steps = 3;
  CHECK_THROWS_WITH_AS(after(warm), doctest::Contains("warmup = 3 leaves none of the 3 steps"), UsageError);
  CHECK(nn::schedule_from("constant") == nn::Schedule::constant);
}

TEST_CASE("fit refuses bad settings and names a missing input") {
  MeanProblem p;
  auto source = [&](nn::Batch& batch, std::size_t) { batch["y"]; };
  CHECK_THROWS_WITH_AS(nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, {.steps = 1, .batch = 1}),
                       doctest::Contains("its data inputs are 'x'"), UsageError);
  CHECK_THROWS_AS(nn::fit(p.phi, p.loss, {1.0}, source, {}), ShapeError);
  auto resizing = [](nn::Batch& batch, std::size_t) { batch["x"] = Matrix<double>(5, 2); };
  CHECK_THROWS_WITH_AS(nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), resizing, {.steps = 1, .batch = 4}),
                       doctest::Contains("the batch source gave 'x' 5 rows; the batch has 4"), UsageError);
  CHECK_THROWS_AS(nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, {.steps = 0}), UsageError);
  CHECK_THROWS_AS(nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, {.keep = nn::Keep::best}),
                  UsageError);
}

TEST_CASE("divergence is caught before NaN, naming the step and the learning rate") {
  MeanProblem p;
  Matrix<double> rows{{1, 2}, {3, -2}};
  auto source = [&](nn::Batch& batch, std::size_t) { batch["x"] = rows; };
  // Plain gradient descent at rate 5 on ½‖mu - x‖² multiplies the error by -4 each step: it explodes.
  const nn::FitOptions explosive{
      .optimizer = "sgd", .learning_rate = 5, .schedule = nn::Schedule::constant, .steps = 2000, .batch = 2};
  CHECK_THROWS_WITH_AS(nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, explosive),
                       doctest::Contains("lower the learning rate (now 5)"), DivergenceError);
  const nn::FitOptions adam_huge{.learning_rate = 1e9, .steps = 100, .batch = 2};
  CHECK_THROWS_WITH_AS(nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, adam_huge),
                       doctest::Contains("training diverged at step 1: the parameters' norm grew"), DivergenceError);
  for (double rate : {-1.0, 0.0, double(NAN)}) {
    CAPTURE(rate);
    const nn::FitOptions bad{.learning_rate = rate, .steps = 10, .batch = 2};
    CHECK_THROWS_WITH_AS(nn::fit(p.phi, p.loss, nn::initial_parameters(p.phi, 1), source, bad),
                         doctest::Contains("use a positive, finite rate"), UsageError);
  }
}
