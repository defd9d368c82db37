// wengert train and wengert demo: learn a potential by score matching, write
// the model, print the metrics; the demo also draws pictures.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/plot.hpp"
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
  cmd.add_option("--data", c.data.source,
                 "built-in data set (gaussian, ring8, two_moons, rings, checkerboard, swiss_roll) or a CSV file");
  cmd.add_option("--samples", c.data.samples, "samples drawn from a built-in set");
  cmd.add_option("--widths", c.widths, "MLP layer widths, from d to 1");
  cmd.add_option("--activation", c.activation, "tanh, softplus or silu");
  cmd.add_option("--confinement", c.confinement, "alpha in alpha‖x‖²/2, keeps exp(-phi) normalisable");
  cmd.add_option("--loss", c.loss, "exact, hutchinson, sliced or denoising");
  cmd.add_option("--probes", c.options.loss.probes, "probes per sample for hutchinson and sliced");
  cmd.add_option("--probe", c.probe, "rademacher or gaussian");
  cmd.add_option("--sigma", c.options.loss.sigma, "noise level of the denoising loss");
  cmd.add_option("--optimizer", c.options.optimizer, "adam or sgd");
  cmd.add_option("--lr", c.options.learning_rate, "learning rate (a cosine schedule takes it to 0)");
  cmd.add_option("--steps", c.options.steps, "optimisation steps");
  cmd.add_option("--batch", c.options.batch, "samples per step");
  cmd.add_option("--seed", c.options.seed, "seed of everything random");
  cmd.add_option("--threads", c.options.threads, "threads per step");
  cmd.add_option("--patience", c.options.patience, "stop after this many evaluations without progress (0: never)");
  cmd.add_option("--out", c.out, c.demo ? "folder for the model and the pictures" : "the model file to write");
}

int run_train(TrainCommand& c) {
  c.options.loss.kind = score::loss_from(c.loss);
  c.options.loss.probe = probe_from(c.probe);
  const Data data = load_data(c.data);
  const nn::Potential phi = nn::mlp(parse_widths(c.widths), nn::activation_from(c.activation), c.confinement);
  if (data.x.cols() != static_cast<std::size_t>(phi.dim()))
    throw UsageError(fmt::format("--widths starts with {}, but the data has {} columns", phi.dim(), data.x.cols()));
  const std::vector<double> theta0 = nn::initial_parameters(phi, c.options.seed);
  if (c.demo) std::filesystem::create_directories(c.out);
  const std::string model_path = c.demo ? c.out + "/model.wgt" : c.out;
  c.options.checkpoint = model_path;
  c.options.report = progress_line;
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
