// Learning a time-conditioned score: the losses of score/loss.cpp at x_t,
// weighted across the levels, on the training core.
#include "wengert/diffusion/train.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <fmt/format.h>

#include "support/names.hpp"
#include "wengert/error.hpp"
#include "wengert/estimators/trace.hpp"
#include "wengert/nn/checkpoint.hpp"
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
  Var weight = 1.0 - t;
  if (phi.kind == "edm_mlp") {  // times EDM's 1/c_out² (in x_t's units): ‖F - F_target‖², unit scale at every level
    const double s2 = phi.sigma_data * phi.sigma_data;
    weight = weight * (1.0 + (1.0 - t) / (t * s2));
  }
  rec.output("J", mean_rows(weight * per_sample));
  return rec.finish();
}

namespace {

void check(const nn::Potential& phi, std::size_t data_dim, const TrainOptions& options) {
  if (!phi.tape.has_input("t"))
    throw UsageError("diffusion::train: the potential has no time input \"t\"; use nn::edm_mlp or nn::time_mlp");
  if (data_dim != static_cast<std::size_t>(phi.dim()))
    throw ShapeError(
        fmt::format("diffusion::train: the data is in R^{}; the potential is on R^{}", data_dim, phi.dim()));
  if (!(options.sigma_min > 0 && options.sigma_min < options.sigma_max && std::isfinite(options.sigma_max)))
    throw UsageError(fmt::format("diffusion::train: noise scales [{}, {}] must satisfy 0 < sigma_min < sigma_max",
                                 options.sigma_min, options.sigma_max));
  if (options.keep == nn::Keep::best)
    throw UsageError("diffusion::train: keep last or ema; there is no held-out loss to choose the best by");
}

// What a resumed run must repeat: everything that shapes the steps but the threads and reports.
std::vector<std::string> settings(const nn::Potential& phi, const TrainOptions& o, const std::string& data) {
  return {fmt::format("potential {} {} {} {} {}", phi.kind, fmt::join(phi.widths, ","), nn::to_string(phi.activation),
                      phi.time_features, phi.sigma_data),
          "data " + data,
          fmt::format("loss {}", to_string(o.loss)),
          fmt::format("rate {} {} {}", o.learning_rate, nn::to_string(o.schedule), o.warmup),
          fmt::format("steps {}", o.steps),
          fmt::format("batch {}", o.batch),
          fmt::format("seed {}", o.seed),
          fmt::format("keep {} {}", nn::to_string(o.keep), o.ema_decay),
          fmt::format("levels {} {}", o.sigma_min, o.sigma_max)};
}

// Every step: data rows from `draw`, fresh noise, levels log-uniform in sigma.
std::vector<double> fit_levels(const nn::Potential& phi, std::vector<double> theta,
                               const std::function<void(Matrix<double>&, std::mt19937_64&)>& draw,
                               const std::string& data, const TrainOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> log_sigma(std::log(options.sigma_min), std::log(options.sigma_max));
  std::normal_distribution<double> normal;
  auto source = [&](nn::Batch& batch, std::size_t) {
    draw(batch["x"], rng);
    Matrix<double>&z = batch["z"], &t = batch["t"];
    for (std::size_t i = 0; i < batch.rows(); ++i) {
      for (std::size_t j = 0; j < z.cols(); ++j) z(i, j) = normal(rng);
      const double sigma = std::exp(log_sigma(rng));
      t(i, 0) = 1 / (1 + sigma * sigma);
    }
    if (options.loss == Loss::hutchinson)
      batch["v"] = estimators::make_probes(estimators::Probe::rademacher, batch.rows(), z.cols(), rng());
  };
  nn::FitCallbacks callbacks;
  if (options.report)
    callbacks.report = [&](const nn::FitStep& s, std::span<const double>) { options.report(s.step, s.train_loss); };
  nn::Communicator& comm = options.communicator ? *options.communicator : nn::single_process();
  const std::vector<std::string> run = settings(phi, options, data);
  const nn::TrainerRecords trainer{[&](nn::Records& r) {
                                     r.put("random", std::vector<std::string>{nn::state_line(rng)});
                                     r.put("normal", std::vector<std::string>{nn::state_line(normal)});
                                   },
                                   [&](const nn::Records& r) {
                                     nn::restore(rng, r, "random");
                                     nn::restore(normal, r, "normal");
                                   }};
  callbacks.checkpoint = nn::checkpoint_writer(options.checkpoint, phi, run, trainer, comm);
  std::optional<nn::FitState> resume;
  if (!options.resume.empty())
    resume = nn::resume_from(nn::load_checkpoint(options.resume), run, trainer, "diffusion::train");
  const nn::RowShare share = nn::share_batch(options.batch, comm);  // each rank trains on its rows
  const Tape loss = loss_tape(phi, options.loss);
  nn::Batch global(loss, comm.size() > 1 ? options.batch : 0);
  nn::FitOptions fit{.learning_rate = options.learning_rate,
                     .schedule = options.schedule,
                     .warmup = options.warmup,
                     .steps = options.steps,
                     .batch = share.size(),
                     .threads = options.threads,
                     .eval_every = options.report || !options.checkpoint.empty() ? options.report_every : 0,
                     .keep = options.keep,
                     .communicator = &comm,
                     .ema_decay = options.ema_decay,
                     .resume = resume ? &*resume : nullptr};
  return nn::fit(phi, loss, std::move(theta), comm.size() > 1 ? nn::shared_source(source, global, share) : source, fit,
                 callbacks)
      .theta;
}

}  // namespace

std::vector<double> train(const nn::Potential& phi, std::vector<double> theta, const Matrix<double>& data,
                          const TrainOptions& options) {
  check(phi, data.cols(), options);
  if (data.rows() == 0) throw UsageError("diffusion::train: the data has no rows");
  std::uniform_int_distribution<std::size_t> row(0, data.rows() - 1);
  auto draw = [&](Matrix<double>& x, std::mt19937_64& rng) {  // rows with replacement
    for (std::size_t i = 0; i < x.rows(); ++i) std::copy_n(&data(row(rng), 0), data.cols(), &x(i, 0));
  };
  return fit_levels(phi, std::move(theta), draw, "rows " + nn::fingerprint(data), options);
}

std::vector<double> train(const nn::Potential& phi, std::vector<double> theta, const score::Dataset& data,
                          const TrainOptions& options) {
  check(phi, data.dim, options);
  auto draw = [&](Matrix<double>& x, std::mt19937_64& rng) { x = data.sample(x.rows(), rng()); };
  const std::string stream = fmt::format("stream {} {}", data.name, nn::fingerprint(data.sample(100, options.seed)));
  return fit_levels(phi, std::move(theta), draw, stream, options);
}

double data_scale(const Matrix<double>& data) {
  if (data.rows() < 2) throw UsageError(fmt::format("data_scale: {} rows; a scale needs two", data.rows()));
  double total = 0;
  for (std::size_t j = 0; j < data.cols(); ++j) {
    double mean = 0, square = 0;
    for (std::size_t i = 0; i < data.rows(); ++i) mean += data(i, j) / double(data.rows());
    for (std::size_t i = 0; i < data.rows(); ++i) square += std::pow(data(i, j) - mean, 2) / double(data.rows());
    total += square / double(data.cols());
  }
  if (!(total > 0 && std::isfinite(total)))
    throw UsageError(fmt::format("data_scale: the data's variance is {}; it needs spread and finite values", total));
  return std::sqrt(total);
}

}  // namespace wengert::diffusion
