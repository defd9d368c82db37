// The training core (fit.hpp): one planned program for the loss and its exact
// theta-gradient, then per step the caller's rows, a run, an optimiser step at
// the scheduled rate; evaluations, reports and early stopping at intervals.
#include "wengert/nn/fit.hpp"

#include <chrono>
#include <cmath>
#include <exception>
#include <numbers>
#include <fmt/format.h>

#include "support/names.hpp"
#include "wengert/ad.hpp"
#include "wengert/error.hpp"
#include "wengert/nn/optimizer.hpp"

namespace wengert::nn {

Batch::Batch(const Tape& loss, std::size_t rows) : rows_(rows) {
  for (const Input& in : loss.inputs())
    if (in.shape.rows == batch)
      inputs_.emplace_back(in.name, Matrix<double>(rows, static_cast<std::size_t>(in.shape.cols)));
}

Matrix<double>& Batch::operator[](std::string_view input) {
  for (auto& [name, m] : inputs_)
    if (name == input) return m;
  std::string names;
  for (const auto& entry : inputs_) names += (names.empty() ? "'" : ", '") + entry.first + "'";
  throw UsageError(fmt::format("Batch: the loss has no data input '{}'; its data inputs are {}", input, names));
}

Program<double> gradient_program(const Potential& phi, const Tape& loss, int threads) {
  std::vector<std::string> wrt, outputs{"J"};
  for (const Block& b : phi.blocks) wrt.push_back(b.name), outputs.push_back(b.name + "_bar");
  return Program<double>(grad(loss, wrt, "J"), outputs, {.threads = threads});
}

namespace {

constexpr detail::Names<Keep, 3> keeps{"keep", {{{Keep::last, "last"}, {Keep::ema, "ema"}, {Keep::best, "best"}}}};
constexpr detail::Names<Schedule, 2> schedules{"schedule",
                                               {{{Schedule::cosine, "cosine"}, {Schedule::constant, "constant"}}}};

double scheduled_rate(const FitOptions& options, std::size_t step) {
  if (step <= options.warmup) return options.learning_rate * double(step) / double(options.warmup + 1);
  if (options.schedule == Schedule::constant) return options.learning_rate;
  const double done = double(step - 1 - options.warmup), total = double(options.steps - options.warmup);
  return options.learning_rate * 0.5 * (1 + std::cos(std::numbers::pi * done / total));
}

// The running average of the iterates (Keep::ema).
class Average {
 public:
  Average(double decay, std::span<const double> theta) : decay_(decay), mean_(theta.begin(), theta.end()) {}
  void add(std::span<const double> theta, std::size_t step) {
    const double decay = std::min(decay_, (1.0 + double(step)) / (10.0 + double(step)));
    for (std::size_t i = 0; i < mean_.size(); ++i) mean_[i] = decay * mean_[i] + (1 - decay) * theta[i];
  }
  const std::vector<double>& mean() const { return mean_; }
  void restore(const std::vector<double>& mean) { mean_ = mean; }

 private:
  double decay_;
  std::vector<double> mean_;
};

// Divergence, seen before it reaches NaN: a loss that grows by orders of
// magnitude beyond where it started, or parameters whose norm explodes. Either
// ends training with the step and the learning rate, before any model is kept.
class DivergenceWatch {
 public:
  DivergenceWatch(double rate, std::span<const double> theta0) : rate_(rate), norm0_(std::max(1.0, norm(theta0))) {}
  void restore(const FitState& state) { scale_ = state.loss_scale, norm0_ = state.parameter_norm; }
  double loss_scale() const { return scale_; }
  double parameter_norm() const { return norm0_; }

  void loss(double j, std::size_t step, const char* which) {
    if (step <= settling_steps) scale_ = std::max(scale_, std::abs(j));
    if (!std::isfinite(j) || (step > settling_steps && std::abs(j) > loss_growth * scale_))
      diverged(step, fmt::format("the {} loss reached {:.3g} (at most {:.3g} in the first {} steps)", which, j, scale_,
                                 settling_steps));
  }

  void parameters(std::span<const double> theta, std::size_t step) {
    const double n = norm(theta);
    if (!(n <= norm_growth * norm0_))
      diverged(step, fmt::format("the parameters' norm grew from {:.3g} to {:.3g}", norm0_, n));
  }

 private:
  static constexpr std::size_t settling_steps = 10;
  static constexpr double loss_growth = 1e8, norm_growth = 1e4;

  static double norm(std::span<const double> v) {
    double s = 0;
    for (double x : v) s += x * x;
    return std::sqrt(s);
  }
  [[noreturn]] void diverged(std::size_t step, const std::string& what) const {
    throw DivergenceError(
        fmt::format("training diverged at step {}: {}; lower the learning rate (now {})", step, what, rate_));
  }

  double rate_, norm0_, scale_ = 1.0;
};

// Evaluations and reports: the running training loss, the best evaluation so
// far and its parameters, patience.
class Monitor {
 public:
  Monitor(const FitOptions& options, const FitCallbacks& callbacks, std::span<const double> theta0)
      : options_(options), callbacks_(callbacks), start_(std::chrono::steady_clock::now()) {
    result.theta.assign(theta0.begin(), theta0.end());
  }

  // Goes on from an evaluation of an earlier run (its running loss was just reported, so 0).
  void restore(const FitState& state) {
    first_step_ = state.step + 1;
    best_ = state.best_evaluation;
    result.best_step = state.best_step;
    without_progress_ = state.without_progress;
    result.stopped_early = state.stopped_early;
    if (options_.keep == Keep::best) result.theta = state.kept;
  }
  // The state after an evaluation at `step`, but for the iterate and the optimiser's.
  FitState state(std::size_t step, bool stopped_early) const {
    return {.step = step,
            .stopped_early = stopped_early,
            .best_evaluation = best_,
            .best_step = result.best_step,
            .without_progress = without_progress_};
  }

  void add(double loss) { running_ += loss, ++since_report_; }
  bool due(std::size_t step) const {
    return options_.eval_every > 0 && (step % options_.eval_every == 0 || step == options_.steps);
  }

  // Evaluates and reports at `step`; false when training should stop early.
  bool report(std::size_t step, std::span<const double> theta, DivergenceWatch& watch) {
    FitStep s{step, options_.steps, running_ / double(since_report_), NAN, 0, 0};
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const auto taken = double(step + 1 - first_step_);  // by this run
    s.samples_per_second = taken * double(options_.batch) / seconds;
    s.eta_seconds = seconds / taken * double(options_.steps - step);
    running_ = 0;
    since_report_ = 0;
    if (callbacks_.evaluate) {
      s.evaluation = callbacks_.evaluate(theta);
      watch.loss(s.evaluation, step, "held-out");
    }
    result.history.push_back(s);
    bool go_on = true;
    if (s.evaluation < best_) {
      best_ = s.evaluation;
      result.best_step = step;
      without_progress_ = 0;
      if (options_.keep == Keep::best) result.theta.assign(theta.begin(), theta.end());
      if (callbacks_.improved) callbacks_.improved(theta);
    } else if (options_.patience > 0 && ++without_progress_ >= options_.patience) {
      result.stopped_early = true;
      go_on = false;
    }
    if (callbacks_.report) callbacks_.report(s, theta);
    return go_on;
  }

  FitResult result;

 private:
  const FitOptions& options_;
  const FitCallbacks& callbacks_;
  std::chrono::steady_clock::time_point start_;
  double running_ = 0, best_ = INFINITY;
  std::size_t since_report_ = 0, without_progress_ = 0, first_step_ = 1;
};

void check(const Potential& phi, const std::vector<double>& theta, const FitOptions& options) {
  if (theta.size() != phi.parameter_count())
    throw ShapeError(
        fmt::format("fit: theta has {} entries; the potential has {} parameters", theta.size(), phi.parameter_count()));
  if (options.batch == 0 || options.steps == 0)
    throw UsageError(
        fmt::format("fit: batch = {} and steps = {}; both must be positive", options.batch, options.steps));
  if (options.keep == Keep::best && options.eval_every == 0)
    throw UsageError("fit: keeping the best parameters needs evaluations; set eval_every");
  if (!(options.ema_decay >= 0 && options.ema_decay < 1))
    throw UsageError(fmt::format("fit: ema_decay = {}; use a number in [0, 1)", options.ema_decay));
  if (options.warmup >= options.steps)
    throw UsageError(fmt::format("fit: warmup = {} leaves none of the {} steps to train at the rate", options.warmup,
                                 options.steps));
  if (!(options.learning_rate > 0) || !std::isfinite(options.learning_rate))
    throw UsageError(fmt::format("fit: learning rate {}; use a positive, finite rate", options.learning_rate));
  if (const FitState* r = options.resume) {
    if (r->theta.size() != theta.size() || r->kept.size() != theta.size())
      throw ShapeError(fmt::format("fit: the state to resume from has {} and {} parameters; the potential has {}",
                                   r->theta.size(), r->kept.size(), theta.size()));
    if (r->step == 0 || r->step > options.steps)
      throw UsageError(fmt::format("fit: the state to resume from is at step {}; this run has steps 1 to {}", r->step,
                                   options.steps));
  }
}

}  // namespace

std::string to_string(Keep keep) { return keeps.name(keep); }
Keep keep_from(const std::string& name) { return keeps.parse(name); }
std::string to_string(Schedule schedule) { return schedules.name(schedule); }
Schedule schedule_from(const std::string& name) { return schedules.parse(name); }

namespace {

// The batch's matrices, bound afresh each step: a source may assign a new matrix
// (moving its storage) but not change the batch's shape.
void bind_batch(Program<double>& program, const Batch& rows) {
  for (const auto& [name, m] : rows.inputs()) {
    if (m.rows() != rows.rows())
      throw UsageError(fmt::format("fit: the batch source gave '{}' {} rows; the batch has {} (FitOptions::batch)",
                                   name, m.rows(), rows.rows()));
    if (program.tape().has_input(name)) program.set(name, m);
  }
}

// The ranks' weighted sum of the loss and its gradient, with a count of the
// ranks that failed to compute theirs: one collective per step.
class StepSum {
 public:
  StepSum(Communicator& comm, std::size_t local_rows, std::size_t parameters) : comm_(comm), buffer_(parameters + 2) {
    double rows[1] = {double(local_rows)};
    comm_.sum(rows);
    global_rows = std::size_t(rows[0]);
    weight_ = double(local_rows) / rows[0];
  }

  // Sums over the ranks; every rank throws if any rank failed (`failure` its own error).
  double sum(double j, std::span<double> g, const std::exception_ptr& failure) {
    if (comm_.size() == 1) {  // one process: its own loss and gradient, as they are
      if (failure) std::rethrow_exception(failure);
      return j;
    }
    buffer_[0] = failure ? 1.0 : 0.0;
    buffer_[1] = failure ? 0.0 : weight_ * j;
    for (std::size_t i = 0; i < g.size(); ++i) buffer_[i + 2] = failure ? 0.0 : weight_ * g[i];
    comm_.sum(buffer_);
    if (buffer_[0] > 0) agree(comm_, failure);
    std::copy(buffer_.begin() + 2, buffer_.end(), g.begin());
    return buffer_[1];
  }

  // Collective: rethrows this rank's failure, or throws the lowest failing rank's on the others.
  static void agree(Communicator& comm, const std::exception_ptr& failure) {
    std::string mine;
    try {
      if (failure) std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      mine = e.what();
    } catch (...) {  // not a std::exception: still a failure the other ranks must hear of
      mine = "an exception that is not a std::exception";
    }
    const std::string first = comm.first_error(mine);
    if (failure) std::rethrow_exception(failure);
    if (!first.empty()) throw Error(fmt::format("training stopped: {}", first));
  }

  std::size_t global_rows = 0;

 private:
  Communicator& comm_;
  std::vector<double> buffer_;
  double weight_ = 1;
};

}  // namespace

FitResult fit(const Potential& phi, const Tape& loss, std::vector<double> theta, const BatchSource& source,
              const FitOptions& options, const FitCallbacks& callbacks) {
  check(phi, theta, options);
  const FitState* resume = options.resume;
  if (resume) theta = resume->theta;
  Communicator& comm = options.communicator ? *options.communicator : single_process();
  Program<double> program = gradient_program(phi, loss, options.threads);
  Batch rows(loss, options.batch);
  phi.bind(program, std::span<const double>(theta));
  std::unique_ptr<Optimizer> optimizer = make_optimizer(options.optimizer, options.adam_epsilon);
  std::vector<double> g(theta.size());
  StepSum ranks(comm, options.batch, theta.size());
  FitOptions monitored = options;
  monitored.batch = ranks.global_rows;  // throughput counts every rank's rows
  Monitor monitor(monitored, callbacks, theta);
  DivergenceWatch watch(options.learning_rate, theta);
  Average average(options.ema_decay, theta);
  if (resume) {
    optimizer->restore(resume->optimizer, theta.size());
    monitor.restore(*resume);
    watch.restore(*resume);
    if (options.keep == Keep::ema) average.restore(resume->kept);
  }
  const std::size_t first = !resume ? 1 : resume->stopped_early ? options.steps + 1 : resume->step + 1;
  for (std::size_t step = first; step <= options.steps; ++step) {
    std::exception_ptr failure;
    double j = 0;
    try {  // this rank's rows
      source(rows, step);
      bind_batch(program, rows);
      program.run();
      j = program.get("J")(0, 0);
      phi.gather_gradient(program, g);
    } catch (...) {
      failure = std::current_exception();
    }
    j = ranks.sum(j, g, failure);  // every rank now holds the same loss and gradient
    watch.loss(j, step, "training");
    monitor.add(j);
    optimizer->step(theta, g, scheduled_rate(options, step));
    watch.parameters(theta, step);
    if (options.keep == Keep::ema) average.add(theta, step);
    if (!monitor.due(step)) continue;
    bool go_on = true;
    try {  // evaluations, reports and checkpoints may fail on one rank alone
      go_on = monitor.report(step, options.keep == Keep::ema ? average.mean() : theta, watch);
      if (callbacks.checkpoint) {
        FitState state = monitor.state(step, !go_on);
        state.theta = theta;
        state.kept = options.keep == Keep::ema    ? average.mean()
                     : options.keep == Keep::best ? monitor.result.theta
                                                  : theta;
        state.optimizer = optimizer->state();
        state.loss_scale = watch.loss_scale();
        state.parameter_norm = watch.parameter_norm();
        callbacks.checkpoint(state);
      }
    } catch (...) {
      failure = std::current_exception();
    }
    StepSum::agree(comm, failure);
    if (!go_on) break;
  }
  if (options.keep == Keep::last) monitor.result.theta = theta;
  if (options.keep == Keep::ema) monitor.result.theta = average.mean();
  return std::move(monitor.result);
}

RowShare share_batch(std::size_t rows, const Communicator& comm) {
  if (rows < std::size_t(comm.size()))
    throw UsageError(fmt::format("a batch of {} rows cannot be shared by {} ranks; use a batch of at least {}", rows,
                                 comm.size(), comm.size()));
  return share_rows(rows, comm);
}

BatchSource shared_source(const BatchSource& global_source, Batch& global, RowShare share) {
  return [&global_source, &global, share](Batch& local, std::size_t step) {
    global_source(global, step);
    for (const auto& [name, m] : global.inputs())
      std::copy_n(&m(share.begin, 0), share.size() * m.cols(), local[name].data());
  };
}

}  // namespace wengert::nn
