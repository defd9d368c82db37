// The trainer: minibatches, probes or noise, the exact theta-gradient of the
// loss from one planned program, an optimiser step, and evaluation on held-out
// samples.
#include "wengert/score/train.hpp"

#include <algorithm>
#include <chrono>
#include <numbers>
#include <numeric>
#include <optional>
#include <random>
#include <fmt/format.h>

#include "wengert/ad.hpp"
#include "wengert/error.hpp"
#include "wengert/nn/model_file.hpp"
#include "wengert/nn/optimizer.hpp"

namespace wengert::score {

namespace {

std::vector<std::string> parameter_names(const nn::Potential& phi) {
  std::vector<std::string> names;
  for (const nn::Block& b : phi.blocks) names.push_back(b.name);
  return names;
}

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
// once from the seed) and the squared distance of the learned score to the true
// one. Its programs read theta through views, so it follows the training.
class Evaluation {
 public:
  /// `loss` may be null: only the score is evaluated then, and no loss tape is built.
  Evaluation(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
             const LossOptions* loss, std::uint64_t seed, const Dataset* truth)
      : x_(x), z_(x.rows(), x.cols()), score_(grad(phi.tape, {"x"}), {"x_bar"}) {
    phi.bind(score_, std::span<const double>(theta));
    score_.set("x", x_);
    if (loss) {
      loss_.emplace(loss_tape(phi, *loss), std::vector<std::string>{"J"});
      phi.bind(*loss_, std::span<const double>(theta));
      loss_->set("x", x_);
      if (needs_z(loss->kind)) {
        std::mt19937_64 rng(seed);
        draw_z(z_, *loss, rng);
        loss_->set("z", z_);
      }
    }
    if (truth && truth->score) true_score_ = truth->score(x_);
  }

  double loss() {
    loss_->run();
    return loss_->get("J")(0, 0);
  }

  Matrix<double> score() {  // s_theta = -∇x phi
    score_.run();
    Matrix<double> s = to_matrix(score_.get("x_bar"));
    for (std::size_t i = 0; i < s.rows() * s.cols(); ++i) s.data()[i] = -s.data()[i];
    return s;
  }

  double fisher() {  // E‖s_theta - s_true‖², NaN without a true score
    if (true_score_.rows() == 0) return NAN;
    Matrix<double> s = score();
    double sum = 0;
    for (std::size_t i = 0; i < s.rows() * s.cols(); ++i) sum += std::pow(s.data()[i] - true_score_.data()[i], 2);
    return sum / double(x_.rows());
  }

 private:
  Matrix<double> x_, z_, true_score_;
  Program<double> score_;
  std::optional<Program<double>> loss_;
};

}  // namespace

double evaluate_loss(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                     const LossOptions& loss, std::uint64_t seed) {
  return Evaluation(phi, theta, x, &loss, seed, nullptr).loss();
}

Matrix<double> model_score(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x) {
  return Evaluation(phi, theta, x, nullptr, 0, nullptr).score();
}

double fisher_divergence(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                         const Dataset& truth) {
  if (!truth.score) throw UsageError(fmt::format("fisher_divergence: the true score of '{}' is not known", truth.name));
  return Evaluation(phi, theta, x, nullptr, 0, &truth).fisher();
}

TrainResult train(const nn::Potential& phi, std::vector<double> theta, const Matrix<double>& data,
                  const TrainOptions& options, const Dataset* truth) {
  if (data.cols() != static_cast<std::size_t>(phi.dim()))
    throw ShapeError(
        fmt::format("train: the data has {} columns; the potential takes x in R^{}", data.cols(), phi.dim()));
  if (theta.size() != phi.parameter_count())
    throw ShapeError(fmt::format("train: theta has {} entries; the potential has {} parameters", theta.size(),
                                 phi.parameter_count()));
  for (std::size_t i = 0; i < data.rows() * data.cols(); ++i)
    if (!std::isfinite(data.data()[i]))
      throw UsageError(fmt::format("train: the data has a non-finite value ({}) at row {}, column {}", data.data()[i],
                                   i / data.cols(), i % data.cols()));
  if (options.batch == 0 || options.steps == 0 || options.eval_every == 0)
    throw UsageError("train: batch, steps and eval_every must be positive");
  if (!(options.holdout >= 0 && options.holdout < 1))
    throw UsageError(fmt::format("train: holdout = {}; use a share in [0, 1)", options.holdout));

  // Split: a shuffled order, the first rows held out.
  std::mt19937_64 rng(options.seed);
  std::vector<std::size_t> order(data.rows());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const auto held = static_cast<std::size_t>(options.holdout * double(data.rows()));
  if (data.rows() - held < 1) throw UsageError(fmt::format("train: {} rows leave none to train on", data.rows()));
  std::vector<std::size_t> train_rows(order.begin() + static_cast<std::ptrdiff_t>(held), order.end());
  Matrix<double> holdout(std::max<std::size_t>(held, 1), data.cols());
  if (held > 0)
    gather(data, order, 0, held, 1, holdout);
  else
    holdout = data;

  // One program for the loss and its exact theta-gradient, planned once.
  const std::vector<std::string> names = parameter_names(phi);
  Tape loss = loss_tape(phi, options.loss);
  Tape gradient_tape = grad(loss, names, "J");
  std::vector<std::string> outputs{"J"};
  for (const std::string& n : names) outputs.push_back(n + "_bar");
  Program<double> program(gradient_tape, outputs, {.threads = options.threads});
  const std::size_t copies =
      needs_z(options.loss.kind) && options.loss.kind != Loss::denoising ? options.loss.probes : 1;
  Matrix<double> x(options.batch * copies, data.cols()), z(options.batch * copies, data.cols());
  program.set("x", x);
  if (needs_z(options.loss.kind)) program.set("z", z);
  phi.bind(program, std::span<const double>(theta));

  Evaluation held_out(phi, theta, holdout, &options.loss, options.seed + 1, truth);  // reads theta as it trains
  auto optimizer = nn::make_optimizer(options.optimizer);
  std::vector<double> g(theta.size());
  TrainResult result;
  result.theta = theta;
  double best = INFINITY, running = 0;
  std::size_t since_report = 0, without_progress = 0, cursor = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t step = 1; step <= options.steps; ++step) {
    if (cursor + options.batch > train_rows.size()) {  // a new epoch: a new order
      std::shuffle(train_rows.begin(), train_rows.end(), rng);
      cursor = 0;
    }
    gather(data, train_rows, cursor, options.batch, copies, x);
    cursor += options.batch;
    if (needs_z(options.loss.kind)) draw_z(z, options.loss, rng);
    program.run();
    const double j = program.get("J")(0, 0);
    if (!std::isfinite(j))
      throw NonFiniteError(
          fmt::format("train: the loss became {} at step {}; lower the learning rate (now {}) or add "
                      "confinement",
                      j, step, options.learning_rate));
    running += j;
    ++since_report;
    phi.gather_gradient(program, g);
    const double rate =
        options.cosine_schedule
            ? options.learning_rate * 0.5 * (1 + std::cos(std::numbers::pi * double(step - 1) / double(options.steps)))
            : options.learning_rate;
    optimizer->step(theta, g, rate);

    if (step % options.eval_every == 0 || step == options.steps) {
      Progress p;
      p.step = step;
      p.steps = options.steps;
      p.train_loss = running / double(since_report);
      p.holdout_loss = held_out.loss();
      p.fisher = held_out.fisher();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      p.samples_per_second = double(step * options.batch) / seconds;
      p.eta_seconds = seconds / double(step) * double(options.steps - step);
      running = 0, since_report = 0;
      result.history.push_back(p);
      if (p.holdout_loss < best) {
        best = p.holdout_loss;
        result.theta = theta;
        result.best_step = step;
        without_progress = 0;
        if (!options.checkpoint.empty()) nn::save_model(options.checkpoint, phi, theta);
      } else if (options.patience > 0 && ++without_progress >= options.patience) {
        result.stopped_early = true;
        if (options.report) options.report(p);
        break;
      }
      if (options.report) options.report(p);
    }
  }
  return result;
}

Matrix<double> density_grid(const nn::Potential& phi, const std::vector<double>& theta, double lo, double hi,
                            std::size_t n) {
  if (phi.dim() != 2)
    throw UsageError(fmt::format("density_grid: the potential is on R^{}; a grid needs d = 2", phi.dim()));
  const double h = (hi - lo) / double(n);
  Matrix<double> x(n * n, 2);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      x(i * n + j, 0) = lo + (double(j) + 0.5) * h, x(i * n + j, 1) = lo + (double(i) + 0.5) * h;
  Program<double> p(phi.tape, {"phi"});
  phi.bind(p, std::span<const double>(theta));
  p.set("x", x);
  p.run();
  auto v = p.get("phi");
  double low = INFINITY;
  for (std::size_t k = 0; k < n * n; ++k) low = std::min(low, v.data[k]);
  Matrix<double> density(n, n);
  double z = 0;  // the partition function on the grid, from exp(-(phi - min phi)) to avoid overflow
  for (std::size_t k = 0; k < n * n; ++k) z += (density.data()[k] = std::exp(-(v.data[k] - low))) * h * h;
  for (std::size_t k = 0; k < n * n; ++k) density.data()[k] /= z;
  return density;
}

Matrix<double> reference_grid(const Dataset& truth, double lo, double hi, std::size_t n, std::size_t samples) {
  const double h = (hi - lo) / double(n);
  Matrix<double> grid(n, n);
  if (truth.log_density) {
    Matrix<double> x(n * n, 2);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        x(i * n + j, 0) = lo + (double(j) + 0.5) * h, x(i * n + j, 1) = lo + (double(i) + 0.5) * h;
    Matrix<double> logp = truth.log_density(x);
    double z = 0;
    for (std::size_t k = 0; k < n * n; ++k) z += (grid.data()[k] = std::exp(logp.data()[k])) * h * h;
    for (std::size_t k = 0; k < n * n; ++k) grid.data()[k] /= z;  // renormalised to the grid like the model
    return grid;
  }
  Matrix<double> x = truth.sample(samples, 12345);
  std::size_t inside = 0;
  for (std::size_t r = 0; r < samples; ++r) {
    const double a = (x(r, 0) - lo) / h, b = (x(r, 1) - lo) / h;
    if (a < 0 || b < 0 || a >= double(n) || b >= double(n)) continue;
    grid(static_cast<std::size_t>(b), static_cast<std::size_t>(a)) += 1;
    ++inside;
  }
  for (std::size_t k = 0; k < n * n; ++k) grid.data()[k] /= double(inside) * h * h;
  return grid;
}

double total_variation(const Matrix<double>& p, const Matrix<double>& q, double cell_area) {
  double s = 0;
  for (std::size_t k = 0; k < p.rows() * p.cols(); ++k) s += std::abs(p.data()[k] - q.data()[k]);
  return 0.5 * s * cell_area;
}

double kl_divergence(const Matrix<double>& p, const Matrix<double>& q, double cell_area) {
  double s = 0;
  for (std::size_t k = 0; k < p.rows() * p.cols(); ++k)
    if (p.data()[k] > 0) s += p.data()[k] * std::log(p.data()[k] / std::max(q.data()[k], 1e-300));
  return s * cell_area;
}

}  // namespace wengert::score
