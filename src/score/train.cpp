// Score matching on the training core (nn/fit.hpp): the loss tape of
// score/loss.cpp, minibatches of the data's rows with probes or noise, and
// evaluation on held-out rows.
#include "wengert/score/train.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <random>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/estimators/trace.hpp"
#include "wengert/nn/checkpoint.hpp"
#include "wengert/nn/fit.hpp"

namespace wengert::score {

namespace {

// Fills the rows of z: probes for the estimated losses, standard normal noise for denoising.
void draw_z(Matrix<double>& z, const LossOptions& loss, std::mt19937_64& rng) {
  const estimators::Probe kind = loss.kind == Loss::denoising ? estimators::Probe::gaussian : loss.probe;
  Matrix<double> fresh = estimators::make_probes(kind, z.rows(), z.cols(), rng());
  std::copy_n(fresh.data(), z.rows() * z.cols(), z.data());
}

// The rows of x listed in `order[begin, begin + count)`, each repeated `copies` times.
void gather(const Matrix<double>& x, const std::vector<std::size_t>& order, std::size_t begin, std::size_t count,
            std::size_t copies, Matrix<double>& out) {
  for (std::size_t r = 0; r < count; ++r)
    for (std::size_t c = 0; c < copies; ++c)
      std::copy_n(&x(order[(begin + r) % order.size()], 0), x.cols(), &out(r * copies + c, 0));
}

// Evaluation on fixed rows, planned once: the loss (with probes or noise drawn
// once from the seed) and the squared distance of the learned score to the
// true one, at whatever theta it is given.
class Evaluation {
 public:
  Evaluation(const nn::Potential& phi, std::span<const double> theta, const Matrix<double>& x, const LossOptions& loss,
             std::uint64_t seed, const Dataset* truth)
      : phi_(phi), x_(x), z_(x.rows(), x.cols()), loss_(loss_tape(phi, loss), {"J"}), score_(phi, theta) {
    loss_.set("x", x_);
    if (needs_z(loss.kind)) {
      std::mt19937_64 rng(seed);
      draw_z(z_, loss, rng);
      loss_.set("z", z_);
    }
    if (truth && truth->score) true_score_ = truth->score(x_);
  }

  double loss(std::span<const double> theta) {
    phi_.bind(loss_, theta);
    loss_.run();
    return loss_.get("J")(0, 0);
  }

  double fisher(std::span<const double> theta) {  // E‖s_theta - s_true‖², NaN without a true score
    if (true_score_.rows() == 0) return NAN;
    score_.bind(theta);
    const Matrix<double> s = score_(x_);
    double sum = 0;
    for (std::size_t i = 0; i < s.rows() * s.cols(); ++i) sum += std::pow(s.data()[i] - true_score_.data()[i], 2);
    return sum / double(x_.rows());
  }

 private:
  const nn::Potential& phi_;
  Matrix<double> x_, z_, true_score_;
  Program<double> loss_;
  nn::ScoreProgram score_;
};

void check(const nn::Potential& phi, const Matrix<double>& data, const TrainOptions& options) {
  if (data.cols() != static_cast<std::size_t>(phi.dim()))
    throw ShapeError(
        fmt::format("train: the data has {} columns; the potential takes x in R^{}", data.cols(), phi.dim()));
  // The losses square the data's values and scores: values beyond 1e100 overflow long before training helps.
  constexpr double largest_value = 1e100;
  for (std::size_t i = 0; i < data.rows() * data.cols(); ++i) {
    const double v = data.data()[i];
    if (!std::isfinite(v))
      throw UsageError(fmt::format("train: the data has a non-finite value ({}) at row {}, column {}", v,
                                   i / data.cols(), i % data.cols()));
    if (std::abs(v) > largest_value)
      throw UsageError(
          fmt::format("train: the data has the value {} at row {}, column {}; its scale overflows the "
                      "losses: standardise the data (each column to mean 0, standard deviation 1)",
                      v, i / data.cols(), i % data.cols()));
  }
  if (options.batch == 0 || options.steps == 0 || options.eval_every == 0)
    throw UsageError("train: batch, steps and eval_every must be positive");
  if (!(options.holdout >= 0 && options.holdout < 1))
    throw UsageError(fmt::format("train: holdout = {}; use a share in [0, 1)", options.holdout));
}

// The rows to train on and the rows held out: a shuffled order, the first rows held out
// (all rows are the held-out set when none is held out).
struct Split {
  std::vector<std::size_t> train_rows;
  Matrix<double> holdout;
};

Split split(const Matrix<double>& data, double share, std::mt19937_64& rng) {
  std::vector<std::size_t> order(data.rows());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const auto held = static_cast<std::size_t>(share * double(data.rows()));
  if (data.rows() - held < 1) throw UsageError(fmt::format("train: {} rows leave none to train on", data.rows()));
  Split s{std::vector<std::size_t>(order.begin() + static_cast<std::ptrdiff_t>(held), order.end()), data};
  if (held > 0) {
    s.holdout = Matrix<double>(held, data.cols());
    gather(data, order, 0, held, 1, s.holdout);
  }
  return s;
}

}  // namespace

LossPolicy loss_policy(const TrainOptions& options) {
  return {.batch = options.batch,
          .probe_noise = options.probe_noise,
          .probe = options.loss.probe,
          .threads = options.threads,
          .seed = options.seed};
}

double evaluate_loss(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                     const LossOptions& loss, std::uint64_t seed) {
  return Evaluation(phi, theta, x, loss, seed, nullptr).loss(theta);
}

namespace {

constexpr std::uint64_t pilot_seed = 0x9E3779B97F4A7C15ull;  // a stream's pilot rows for the loss `auto`

// Rows per sample: the estimated losses repeat each sample once per probe.
std::size_t copies_of(const LossOptions& loss) {
  return needs_z(loss.kind) && loss.kind != Loss::denoising ? loss.probes : 1;
}

// The checkpoint to resume from, when there is one.
std::optional<nn::Checkpoint> resumed(const TrainOptions& options) {
  if (options.resume.empty()) return std::nullopt;
  return nn::load_checkpoint(options.resume);
}

// The options with the loss `auto` resolved on the pilot rows at theta (the choice
// kept in `choice`), or as the checkpoint to resume from resolved it.
TrainOptions resolve_loss(const nn::Potential& phi, std::span<const double> theta, const Matrix<double>& pilot,
                          TrainOptions options, std::optional<LossChoice>& choice,
                          const std::optional<nn::Checkpoint>& from) {
  if (options.loss.kind != Loss::automatic) return options;
  if (from) {
    const std::vector<double> chosen = from->records.numbers("loss_choice", 2);
    options.loss.kind = chosen[0] == 0 ? Loss::exact : Loss::hutchinson;
    options.loss.probes = std::size_t(std::clamp(chosen[1], 1.0, 1e6));
    return options;
  }
  choice = choose_loss(phi, theta, pilot, loss_policy(options));
  options.loss = choice->loss;
  return options;
}

// What a resumed run must repeat: everything that shapes the steps but the threads.
std::vector<std::string> settings(const nn::Potential& phi, const TrainOptions& o, const std::string& data) {
  return {fmt::format("potential {} {} {} {}", phi.kind, fmt::join(phi.widths, ","), nn::to_string(phi.activation),
                      phi.confinement),
          "data " + data,
          fmt::format("loss {} {} {} {}", to_string(o.loss.kind), o.loss.probes, estimators::to_string(o.loss.probe),
                      o.loss.sigma),
          fmt::format("optimizer {} {}", o.optimizer, o.adam_epsilon),
          fmt::format("rate {} {} {}", o.learning_rate, nn::to_string(o.schedule), o.warmup),
          fmt::format("steps {}", o.steps),
          fmt::format("batch {}", o.batch),
          fmt::format("seed {}", o.seed),
          fmt::format("keep {} {}", nn::to_string(o.keep), o.ema_decay),
          fmt::format("evaluation {} {} {} {}", o.eval_every, o.holdout, o.evaluation_rows, o.patience)};
}

// The reports as numbers, seven to a report, and back.
std::vector<double> flatten(const std::vector<Progress>& history) {
  std::vector<double> out;
  for (const Progress& p : history)
    out.insert(out.end(), {double(p.step), double(p.steps), p.train_loss, p.holdout_loss, p.fisher,
                           p.samples_per_second, p.eta_seconds});
  return out;
}
std::vector<Progress> history_from(const nn::Records& records) {
  const std::vector<double> v = records.numbers("history");
  if (v.size() % 7 != 0)
    throw IoError(fmt::format("load_checkpoint: '{}': the record 'history' is not whole", records.source()));
  std::vector<Progress> out;
  for (std::size_t i = 0; i < v.size(); i += 7)
    out.push_back({std::size_t(v[i]), std::size_t(v[i + 1]), v[i + 2], v[i + 3], v[i + 4], v[i + 5], v[i + 6]});
  return out;
}

// The training core on a batch source, evaluating on `held` rows; checkpoints at every
// evaluation, resuming from `from` when given.
TrainResult fit_scores(const nn::Potential& phi, std::vector<double> theta, const nn::BatchSource& source,
                       const nn::TrainerRecords& source_records, const std::string& data,
                       const std::optional<nn::Checkpoint>& from, const Matrix<double>& held, const Dataset* truth,
                       const TrainOptions& options) {
  const std::size_t copies = copies_of(options.loss);
  nn::Communicator& comm = options.communicator ? *options.communicator : nn::single_process();
  const Tape loss = loss_tape(phi, options.loss);
  nn::Batch global(loss, comm.size() > 1 ? options.batch * copies : 0);
  const nn::RowShare share = nn::share_batch(options.batch * copies, comm);  // each rank trains on its rows
  Evaluation held_out(phi, theta, held, options.loss, options.seed + 1, truth);
  TrainResult result;
  nn::FitCallbacks callbacks;
  callbacks.evaluate = [&](std::span<const double> at) { return held_out.loss(at); };
  const std::vector<std::string> run = settings(phi, options, data);
  // Beside the batch source's records: the loss `auto` chose, and the reports so far.
  nn::TrainerRecords trainer{
      [&](nn::Records& r) {
        const double chosen[] = {options.loss.kind == Loss::exact ? 0.0 : 1.0, double(options.loss.probes)};
        r.put("loss_choice", chosen);
        source_records.save(r);
        r.put("history", flatten(result.history));
      },
      [&](const nn::Records& r) {
        source_records.restore(r);
        result.history = history_from(r);
      }};
  callbacks.checkpoint = nn::checkpoint_writer(options.checkpoint, phi, run, trainer, comm);
  std::optional<nn::FitState> resume;
  if (from) resume = nn::resume_from(*from, run, trainer, "train");
  callbacks.report = [&](const nn::FitStep& s, std::span<const double> at) {
    const Progress p{
        s.step,       s.steps, s.train_loss, s.evaluation, held_out.fisher(at), s.samples_per_second / double(copies),
        s.eta_seconds};
    result.history.push_back(p);
    if (options.report) options.report(p);
  };
  nn::FitOptions fit;
  fit.optimizer = options.optimizer;
  fit.adam_epsilon = options.adam_epsilon;
  fit.learning_rate = options.learning_rate;
  fit.schedule = options.schedule;
  fit.warmup = options.warmup;
  fit.steps = options.steps;
  fit.batch = share.size();
  fit.communicator = &comm;
  fit.threads = options.threads;
  fit.eval_every = options.eval_every;
  fit.patience = options.patience;
  fit.keep = options.keep;
  fit.ema_decay = options.ema_decay;
  fit.resume = resume ? &*resume : nullptr;
  nn::FitResult fitted = nn::fit(phi, loss, std::move(theta),
                                 comm.size() > 1 ? nn::shared_source(source, global, share) : source, fit, callbacks);
  result.theta = std::move(fitted.theta);
  result.best_step = fitted.best_step;
  result.stopped_early = fitted.stopped_early;
  result.loss = options.loss;
  return result;
}

}  // namespace

TrainResult train(const nn::Potential& phi, std::vector<double> theta, const Matrix<double>& data,
                  const TrainOptions& given, const Dataset* truth) {
  check(phi, data, given);
  std::mt19937_64 rng(given.seed);
  Split rows = split(data, given.holdout, rng);
  Matrix<double> pilot(std::min(given.batch, rows.train_rows.size()), data.cols());
  gather(data, rows.train_rows, 0, pilot.rows(), 1, pilot);
  std::optional<LossChoice> choice;
  const std::optional<nn::Checkpoint> from = resumed(given);
  const TrainOptions options = resolve_loss(phi, theta, pilot, given, choice, from);
  const std::size_t copies = copies_of(options.loss);
  std::size_t cursor = 0;
  auto source = [&](nn::Batch& batch, std::size_t) {  // minibatches of shuffled rows, a new order each epoch
    if (cursor + options.batch > rows.train_rows.size()) {
      std::shuffle(rows.train_rows.begin(), rows.train_rows.end(), rng);
      cursor = 0;
    }
    gather(data, rows.train_rows, cursor, options.batch, copies, batch["x"]);
    cursor += options.batch;
    if (needs_z(options.loss.kind)) draw_z(batch["z"], options.loss, rng);
  };
  nn::TrainerRecords state;
  state.save = [&](nn::Records& r) {
    r.put("random", std::vector<std::string>{nn::state_line(rng)});
    r.put("cursor", std::vector<std::string>{std::to_string(cursor)});
    r.put("order", std::vector<double>(rows.train_rows.begin(), rows.train_rows.end()));
  };
  state.restore = [&](const nn::Records& r) {
    nn::restore(rng, r, "random");
    cursor = r.whole_number("cursor", rows.train_rows.size() + 1);
    const std::vector<double> order = r.numbers("order", rows.train_rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (!(order[i] >= 0 && order[i] < double(data.rows()) && order[i] == std::floor(order[i])))
        throw IoError(fmt::format("load_checkpoint: '{}': the record 'order' holds {}, not a row of the data's {}",
                                  r.source(), order[i], data.rows()));
      rows.train_rows[i] = std::size_t(order[i]);
    }
  };
  TrainResult result = fit_scores(phi, std::move(theta), source, state, "rows " + nn::fingerprint(data), from,
                                  rows.holdout, truth, options);
  result.loss_choice = choice;
  return result;
}

TrainResult train(const nn::Potential& phi, std::vector<double> theta, const Dataset& data, const TrainOptions& given) {
  if (data.dim != static_cast<std::size_t>(phi.dim()))
    throw ShapeError(
        fmt::format("train: '{}' is in R^{}; the potential takes x in R^{}", data.name, data.dim, phi.dim()));
  if (given.evaluation_rows == 0) throw UsageError("train: evaluation_rows must be positive");
  if (given.batch == 0) throw UsageError("train: batch = 0; use at least 1");
  std::optional<LossChoice> choice;
  const std::optional<nn::Checkpoint> from = resumed(given);
  const TrainOptions options = resolve_loss(
      phi, theta, data.sample(std::max<std::size_t>(given.batch, 2), given.seed ^ pilot_seed), given, choice, from);
  std::mt19937_64 rng(options.seed);
  const std::size_t copies = copies_of(options.loss);
  std::vector<std::size_t> order(options.batch);
  std::iota(order.begin(), order.end(), 0);
  auto source = [&](nn::Batch& batch, std::size_t) {  // fresh exact samples every step
    gather(data.sample(options.batch, rng()), order, 0, options.batch, copies, batch["x"]);
    if (needs_z(options.loss.kind)) draw_z(batch["z"], options.loss, rng);
  };
  const Matrix<double> held = data.sample(options.evaluation_rows, options.seed ^ 0x5DEECE66Dull);
  nn::TrainerRecords state;
  state.save = [&](nn::Records& r) { r.put("random", std::vector<std::string>{nn::state_line(rng)}); };
  state.restore = [&](const nn::Records& r) { nn::restore(rng, r, "random"); };
  TrainResult result =
      fit_scores(phi, std::move(theta), source, state, fmt::format("stream {} {}", data.name, nn::fingerprint(held)),
                 from, held, &data, options);
  result.loss_choice = choice;
  return result;
}

}  // namespace wengert::score
