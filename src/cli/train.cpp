// wengert train and wengert demo: learn a potential by score matching, write
// the model, print the metrics; the demo also draws pictures.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/plot.hpp"
#include "support/memory.hpp"
#include "wengert/error.hpp"
#include "wengert/nn/model_file.hpp"

namespace wengert::cli {

namespace {

constexpr std::uint64_t fresh_seed = 99;     // the held-out draw, not the training draw
constexpr std::size_t fresh_samples = 4000;  // rows the trained model is measured on

void progress_line(const score::Progress& p) {
  static const bool terminal = ::isatty(::fileno(stdout));  // in place on a terminal, a line each in a log
  fmt::print("{}", terminal ? "\r" : "");
  fmt::print("step {:>6}/{}  loss {:>+10.4f}  held-out {:>+10.4f}  Fisher {:>9.4f}  {:>8.0f} samples/s  ETA {:>5.1f}s",
             p.step, p.steps, p.train_loss, p.holdout_loss, p.fisher, p.samples_per_second, p.eta_seconds);
  fmt::print("{}", terminal ? "" : "\n");
  std::fflush(stdout);
}

void make_folder(const std::string& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw IoError(fmt::format("cannot make the folder '{}': {}", folder, error.message()));
}

estimators::Probe probe_from(const std::string& name) {
  if (name == "gaussian") return estimators::Probe::gaussian;
  if (name == "rademacher") return estimators::Probe::rademacher;
  throw UsageError(fmt::format("--probe '{}': use rademacher or gaussian", name));
}

}  // namespace

TrainCommand::TrainCommand() {
  options.learning_rate = 3e-3;
  options.threads = 2;
}

void add_train_options(CLI::App& cmd, TrainCommand& c) {
  add_data_options(cmd, c.data, false);
  add_text(cmd, "--widths", c.widths, "MLP layer widths, from d to 1");
  add_text(cmd, "--activation", c.activation, "tanh, softplus or silu");
  add_real(cmd, "--confinement", c.confinement, 0, 1e6, false, "alpha in alpha‖x‖²/2, keeps exp(-phi) normalisable");
  add_text(cmd, "--loss", c.loss, "exact, hutchinson, sliced or denoising");
  add_count(cmd, "--probes", c.options.loss.probes, 1, 10000, "probes per sample for hutchinson and sliced");
  add_text(cmd, "--probe", c.probe, "rademacher or gaussian");
  add_real(cmd, "--sigma", c.options.loss.sigma, 0, 1e6, true, "noise level of the denoising loss");
  add_text(cmd, "--optimizer", c.options.optimizer, "adam or sgd");
  add_real(cmd, "--lr", c.options.learning_rate, 0, std::numeric_limits<double>::max(), true,
           "learning rate (a cosine schedule takes it to 0)");
  add_count(cmd, "--steps", c.options.steps, 1, 1'000'000'000, "optimisation steps");
  add_count(cmd, "--batch", c.options.batch, 1, 100'000'000, "samples per step");
  add_seed(cmd, "--seed", c.options.seed, "seed of everything random (the data's draw too)");
  add_int(cmd, "--threads", c.options.threads, 1, 256, "threads per step");
  add_count(cmd, "--patience", c.options.patience, 0, 1'000'000'000,
            "stop after this many evaluations without progress (0: never)");
  add_text(cmd, "--out", c.out, c.demo ? "folder for the model and the pictures" : "the model file to write");
}

namespace {

// The architecture from the flags, checked against the data and the machine's memory.
nn::Potential architecture(const TrainCommand& c, std::size_t data_cols) {
  const std::vector<Dim> widths = parse_widths(c.widths);
  double parameters = 0;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l)
    parameters += double(widths[l]) * double(widths[l + 1]) + double(widths[l + 1]);
  // theta, its gradient, the optimiser's two moments, the best theta, the program's copies: about eight of each.
  detail::check_fits_in_memory(fmt::format("--widths {}: a model of {:.3g} parameters", c.widths, parameters),
                               parameters * 8 * 8, "use narrower layers");
  if (widths.front() != static_cast<Dim>(data_cols))
    throw UsageError(fmt::format("--widths starts with {}, but the data has {} columns", widths.front(), data_cols));
  return nn::mlp(widths, nn::activation_from(c.activation), c.confinement);
}

}  // namespace

int run_train(TrainCommand& c) {
  c.options.loss.kind = score::loss_from(c.loss);
  c.options.loss.probe = probe_from(c.probe);
  const std::string model_path = c.demo ? c.out + "/model.wgt" : c.out;
  check_distinct(c.demo ? "the demo's model" : "--out", model_path, "--data", c.data.source);
  c.data.seed = c.options.seed;
  const Data data = load_data(c.data);
  const nn::Potential phi = architecture(c, data.x.cols());
  const std::vector<double> theta0 = nn::initial_parameters(phi, c.options.seed);
  if (c.demo) make_folder(c.out);
  c.options.report = progress_line;  // the model is written once training has succeeded, never from a diverged run
  fmt::print("training {} [{}] {} on {} ({} samples), {} loss, {} steps of {}\n", phi.kind, c.widths, c.activation,
             c.data.source, data.x.rows(), c.loss, c.options.steps, c.options.batch);
  const auto start = std::chrono::steady_clock::now();
  const score::TrainResult result = score::train(phi, theta0, data.x, c.options, data.truth ? &*data.truth : nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("{}done in {:.1f} s{}; best held-out loss at step {}; model written to {}\n",
             ::isatty(::fileno(stdout)) ? "\n" : "", seconds, result.stopped_early ? " (stopped early)" : "",
             result.best_step, model_path);
  nn::save_model(model_path, phi, result.theta);
  if (data.truth) {
    const Matrix<double> held = data.truth->sample(fresh_samples, fresh_seed);
    print_metrics("at initialisation", measure(phi, theta0, held, data.truth));
    print_metrics("trained", measure(phi, result.theta, held, data.truth));
  }
  if (c.demo && phi.dim() == 2) draw_demo(c.out, phi, result.theta, data.x, data.truth, result.history);
  return 0;
}

}  // namespace wengert::cli
