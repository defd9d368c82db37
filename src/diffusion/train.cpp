// Learning a time-conditioned score: the losses of score/loss.cpp at x_t,
// weighted by the noise variance 1 - t, on the training core.
#include "wengert/diffusion/train.hpp"

#include <cmath>
#include <random>
#include <fmt/format.h>

#include "support/names.hpp"
#include "wengert/error.hpp"
#include "wengert/estimators/trace.hpp"
#include "wengert/nn/fit.hpp"
#include "wengert/score/loss.hpp"

namespace wengert::diffusion {

namespace {
constexpr detail::Names<Loss, 3> losses{
    "diffusion loss", {{{Loss::denoising, "denoising"}, {Loss::exact, "exact"}, {Loss::hutchinson, "hutchinson"}}}};
}  // namespace

std::string to_string(Loss loss) { return losses.name(loss); }
Loss loss_from(const std::string& name) { return losses.parse(name); }

Tape loss_tape(const nn::Potential& phi, Loss kind) {
  if (!phi.tape.has_input("t"))
    throw UsageError("diffusion::loss_tape: the potential has no time input \"t\"; use nn::time_mlp");
  const Dim d = phi.dim();
  Recorder rec;
  Var x = rec.data("x", d), z = rec.data("z", d), t = rec.data("t", 1);
  Var sigma = sqrt(1.0 - t);         // the noise scale at level t
  Var xt = sqrt(t) * x + sigma * z;  // the homotopy
  auto args = phi.record_parameters(rec);
  args.emplace(args.begin(), "t", t);
  Var per_sample;
  switch (kind) {
    case Loss::denoising:  // the score of the noise is -z / sigma
      per_sample = score::per_sample_loss(rec, phi, args, score::Loss::denoising, xt, z / sigma);
      break;
    case Loss::exact: per_sample = score::per_sample_loss(rec, phi, args, score::Loss::exact, xt); break;
    case Loss::hutchinson:
      per_sample = score::per_sample_loss(rec, phi, args, score::Loss::hutchinson, xt, rec.data("v", d));
      break;
  }
  rec.output("J", mean_rows((1.0 - t) * per_sample));
  return rec.finish();
}

namespace {

void check(const nn::Potential& phi, const Matrix<double>& data, const TrainOptions& options) {
  if (!phi.tape.has_input("t"))
    throw UsageError("diffusion::train: the potential has no time input \"t\"; use nn::time_mlp");
  if (data.cols() != static_cast<std::size_t>(phi.dim()))
    throw ShapeError(
        fmt::format("diffusion::train: the data has {} columns; the potential is on R^{}", data.cols(), phi.dim()));
  if (!(options.t_min > 0 && options.t_min < options.t_max && options.t_max < 1))
    throw UsageError(fmt::format("diffusion::train: levels [{}, {}] must satisfy 0 < t_min < t_max < 1", options.t_min,
                                 options.t_max));
}

}  // namespace

std::vector<double> train(const nn::Potential& phi, std::vector<double> theta, const Matrix<double>& data,
                          const TrainOptions& options) {
  check(phi, data, options);
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<std::size_t> row(0, data.rows() - 1);
  // Levels: the noise scale sqrt(1 - t) log-uniform, so that the nearly clean levels, where the
  // score is sharp and the samplers end, are trained as often as the noisy ones.
  std::uniform_real_distribution<double> log_scale(0.5 * std::log(1 - options.t_max),
                                                   0.5 * std::log(1 - options.t_min));
  std::normal_distribution<double> normal;
  auto source = [&](nn::Batch& batch, std::size_t) {  // rows drawn with replacement, fresh noise and levels
    Matrix<double>&x = batch["x"], &z = batch["z"], &t = batch["t"];
    for (std::size_t i = 0; i < batch.rows(); ++i) {
      const std::size_t r = row(rng);
      for (std::size_t j = 0; j < data.cols(); ++j) {
        x(i, j) = data(r, j);
        z(i, j) = normal(rng);
      }
      const double sigma = std::exp(log_scale(rng));
      t(i, 0) = 1 - sigma * sigma;
    }
    if (options.loss == Loss::hutchinson)
      batch["v"] = estimators::make_probes(estimators::Probe::rademacher, batch.rows(), data.cols(), rng());
  };
  constexpr std::size_t report_every = 500;
  nn::FitCallbacks callbacks;
  if (options.report)
    callbacks.report = [&](const nn::FitStep& s, std::span<const double>) { options.report(s.step, s.train_loss); };
  const nn::FitOptions fit{.learning_rate = options.learning_rate,
                           .steps = options.steps,
                           .batch = options.batch,
                           .threads = options.threads,
                           .eval_every = options.report ? report_every : 0};
  return nn::fit(phi, loss_tape(phi, options.loss), std::move(theta), source, fit, callbacks).theta;
}

}  // namespace wengert::diffusion
