// wengert train and wengert demo: learn a potential by score matching, write
// the model, print the metrics; the demo also draws pictures.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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
  fmt::print("step {:>6}/{}  loss {:>+10.4f}  held-out {:>+10.4f}  {}  {:>8.0f} samples/s  ETA {:>5.1f}s", p.step,
             p.steps, p.train_loss, p.holdout_loss,
             std::isnan(p.fisher) ? std::string() : fmt::format("Fisher {:>9.4f}", p.fisher), p.samples_per_second,
             p.eta_seconds);
  fmt::print("{}", terminal ? "" : "\n");
  std::fflush(stdout);
}

void make_folder(const std::string& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw IoError(fmt::format("cannot make the folder '{}': {}", folder, error.message()));
}

}  // namespace

// Both train on fresh samples every step (a fixed set of 20 000 rows overfits: on
// ring8 with std 0.3 its grid TV is 8x that of a stream) and keep a model chosen
// without the held-out loss, which cannot see how mass is shared between modes.
//
// train: the last iterate of 10 000 steps of Adam at 3e-3 along a cosine, batch 256,
// as a careful user would train (ring8 std 0.3: grid TV 0.013; two moons: 0.044).
//
// demo: ring8 with std 0.2 in a few seconds. Its modes are far apart, so the
// parameters that share mass between them are barely determined by any batch and
// Adam's normalised steps make them drift: the mode masses of the last iterate
// wander between 0.04 and 0.26. A large epsilon (0.1) turns Adam into momentum
// SGD along those directions, a fast rate (3e-2) with batches of 512 reaches the
// modes' shapes in 6 000 steps, and the average of the iterates removes what
// drift is left (grid TV 0.04, every mass within 0.03 of 1/8; softplus beat tanh).
TrainCommand::TrainCommand(bool demo_command) : demo(demo_command) {
  data.samples = 0;
  options.threads = 2;
  options.eval_every = 0;  // a twentieth of the steps
  options.steps = 10'000;
  options.batch = 256;
  options.learning_rate = 3e-3;
  if (!demo) return;
  out = "demo";
  activation = "softplus";
  keep = "ema";
  options.steps = 6'000;
  options.batch = 512;
  options.learning_rate = 3e-2;
  options.adam_epsilon = 0.1;
}

void add_train_options(CLI::App& cmd, TrainCommand& c) {
  add_data_options(cmd, c.data, false);
  add_text(cmd, "--model", c.model, "mlp, or quadratic (a Gaussian, with a closed-form optimum)");
  add_text(cmd, "--widths", c.widths, "MLP layer widths, from d to 1");
  add_text(cmd, "--activation", c.activation, "tanh, softplus or silu");
  add_real(cmd, "--confinement", c.confinement, 0, 1e6, false, "alpha in alpha‖x‖²/2, keeps exp(-phi) normalisable");
  add_text(cmd, "--loss", c.loss,
           "exact, hutchinson, sliced, denoising or auto (exact or hutchinson, whichever is cheaper: it says why)");
  add_real(cmd, "--probe-noise", c.options.probe_noise, 0, 1e6, true,
           "auto: the share of the sampling variance the probes may add");
  add_count(cmd, "--probes", c.options.loss.probes, 1, 10000, "probes per sample for hutchinson and sliced");
  add_text(cmd, "--probe", c.probe, "rademacher, gaussian or sphere");
  add_real(cmd, "--sigma", c.options.loss.sigma, 0, 1e6, true, "noise level of the denoising loss");
  add_text(cmd, "--optimizer", c.options.optimizer, "adam or sgd");
  add_real(cmd, "--adam-epsilon", c.options.adam_epsilon, 0, 1e6, true,
           "Adam's epsilon: large values damp steps along weakly determined directions");
  add_real(cmd, "--lr", c.options.learning_rate, 0, std::numeric_limits<double>::max(), true, "learning rate");
  add_text(cmd, "--schedule", c.schedule, "cosine (the rate falls to 0 along half a cosine) or constant");
  add_count(cmd, "--warmup", c.options.warmup, 0, 1'000'000'000, "steps of linear warm-up of the rate");
  add_count(cmd, "--steps", c.options.steps, 1, 1'000'000'000, "optimisation steps");
  add_count(cmd, "--batch", c.options.batch, 1, 100'000'000, "samples per step");
  add_text(
      cmd, "--keep", c.keep,
      "the model written: last (iterate), ema (exponential moving average of the iterates) or best (held-out loss)");
  add_real(cmd, "--ema", c.options.ema_decay, 0, 0.999999, false, "the decay of the average of the iterates");
  add_real(cmd, "--holdout", c.options.holdout, 0, 0.99, false, "share of a fixed set's rows held out (0: none)");
  add_count(cmd, "--eval-every", c.options.eval_every, 0, 1'000'000'000,
            "steps between evaluations and reports (0: a twentieth of the steps)");
  add_seed(cmd, "--seed", c.options.seed, "seed of everything random (the data's draw too)");
  add_int(cmd, "--threads", c.options.threads, 1, 256, "threads per step");
  add_count(cmd, "--patience", c.options.patience, 0, 1'000'000'000,
            "stop after this many evaluations without progress (0: never)");
  add_text(cmd, "--checkpoint", c.options.checkpoint,
           "a checkpoint written (atomically) at every evaluation: the model --keep would write then (every command "
           "reads it as a model file), and what --resume needs to go on");
  add_text(cmd, "--resume", c.options.resume,
           "go on from a checkpoint of a run with the same flags (--threads aside), to the result that run would "
           "have reached");
  add_text(cmd, "--out", c.out, c.demo ? "folder for the model and the pictures" : "the model file to write");
}

namespace {

// The architecture from the flags, checked against the data and the machine's memory.
nn::Potential architecture(const TrainCommand& c, std::size_t data_cols) {
  if (c.model == "quadratic") return nn::quadratic(static_cast<Dim>(data_cols));
  if (c.model != "mlp") throw UsageError(fmt::format("--model '{}': use mlp or quadratic", c.model));
  const std::vector<Dim> widths = parse_widths(c.widths);
  double parameters = 0;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l)
    parameters += double(widths[l]) * double(widths[l + 1]) + double(widths[l + 1]);
  // theta, its gradient, the optimiser's two moments, the average, the program's copies: about eight of each.
  detail::check_fits_in_memory(fmt::format("--widths {}: a model of {:.3g} parameters", c.widths, parameters),
                               parameters * 8 * 8, "use narrower layers");
  if (widths.front() != static_cast<Dim>(data_cols))
    throw UsageError(fmt::format("--widths starts with {}, but the data has {} columns", widths.front(), data_cols));
  return nn::mlp(widths, nn::activation_from(c.activation), c.confinement);
}

std::string describe_data(const TrainCommand& c, const Data& data) {
  if (data.stream()) return fmt::format("{} (fresh samples every step)", c.data.source);
  return fmt::format("{} ({} rows{})", c.data.source, data.x.rows(),
                     c.options.holdout > 0 ? fmt::format(", {:g} held out", c.options.holdout) : "");
}

// The loss `auto`, chosen before training starts and said; under mpirun every rank
// takes rank 0's choice (each rank's timings differ a little).
void choose_loss(TrainCommand& c, const nn::Potential& phi, const std::vector<double>& theta0, const Data& data,
                 nn::Communicator& ranks) {
  const Matrix<double> pilot = data.stream() ? data.truth->sample(c.options.batch, c.options.seed) : data.x;
  const score::LossChoice choice = score::choose_loss(phi, theta0, pilot, score::loss_policy(c.options));
  fmt::print("{}\n", choice.reason);
  double chosen[2] = {choice.loss.kind == score::Loss::exact ? 0.0 : 1.0, double(choice.loss.probes)};
  if (ranks.rank() > 0) chosen[0] = chosen[1] = 0;
  ranks.sum(chosen);
  c.options.loss = choice.loss;
  c.options.loss.kind = chosen[0] == 0 ? score::Loss::exact : score::Loss::hutchinson;
  c.options.loss.probes = std::size_t(chosen[1]);
  c.loss = score::to_string(c.options.loss.kind);
}

}  // namespace

int run_train(TrainCommand& c) {
  c.options.loss.kind = score::loss_from(c.loss);
  c.options.loss.probe = estimators::probe_from(c.probe);
  c.options.keep = nn::keep_from(c.keep);
  c.options.schedule = nn::schedule_from(c.schedule);
  if (c.options.eval_every == 0) c.options.eval_every = std::max<std::size_t>(1, c.options.steps / 20);
  const std::string model_path = c.demo ? c.out + "/model.wgt" : c.out;
  check_distinct(c.demo ? "the demo's model" : "--out", model_path, "--data", c.data.source);
  if (!c.options.checkpoint.empty()) check_distinct("--checkpoint", c.options.checkpoint, "--data", c.data.source);
  c.data.seed = c.options.seed;
  const Data data = load_data(c.data, true);
  const nn::Potential phi = architecture(c, data.stream() ? data.truth->dim : data.x.cols());
  const std::vector<double> theta0 = nn::initial_parameters(phi, c.options.seed);
  nn::Communicator& ranks = c.options.communicator ? *c.options.communicator : nn::single_process();
  if (c.demo && ranks.rank() == 0) make_folder(c.out);
  // Resumed, the loss `auto` is what the checkpoint's run chose (score::train reads it there).
  if (c.options.loss.kind == score::Loss::automatic && c.options.resume.empty())
    choose_loss(c, phi, theta0, data, ranks);
  if (!c.options.resume.empty()) fmt::print("resuming from {}\n", c.options.resume);
  c.options.report = progress_line;  // the model is written once training has succeeded, never from a diverged run
  fmt::print("training {}{} on {}, {} loss, {} steps of {} at rate {:g} ({}), keeping the {}\n", phi.kind,
             c.model == "mlp" ? fmt::format(" [{}] {}", c.widths, c.activation) : "", describe_data(c, data), c.loss,
             c.options.steps,
             ranks.size() > 1 ? fmt::format("{} shared by {} ranks", c.options.batch, ranks.size())
                              : std::to_string(c.options.batch),
             c.options.learning_rate, c.schedule,
             c.keep == "ema"    ? fmt::format("average of the iterates (decay {:g})", c.options.ema_decay)
             : c.keep == "best" ? "iterate with the best held-out loss"
                                : "last iterate");
  const auto start = std::chrono::steady_clock::now();
  const score::TrainResult result =
      data.stream() ? score::train(phi, theta0, *data.truth, c.options)
                    : score::train(phi, theta0, data.x, c.options, data.truth ? &*data.truth : nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (ranks.rank() > 0) return 0;  // every rank holds the same model; rank 0 writes and measures it
  fmt::print("{}done in {:.1f} s{}; model written to {}\n", ::isatty(::fileno(stdout)) ? "\n" : "", seconds,
             result.stopped_early ? " (stopped early)" : "", model_path);
  nn::save_model(model_path, phi, result.theta);
  if (phi.kind == "quadratic") print_gaussian(phi, result.theta, data.x);
  if (data.truth) {
    const Matrix<double> held = data.truth->sample(fresh_samples, fresh_seed);
    print_metrics("at initialisation", measure(phi, theta0, held, data.truth));
    print_metrics("trained", measure(phi, result.theta, held, data.truth));
  }
  const Matrix<double> shown = data.stream() ? data.truth->sample(fresh_samples, fresh_seed) : data.x;
  if (c.demo && phi.dim() == 2) draw_demo(c.out, phi, result.theta, shown, data.truth, result.history);
  return 0;
}

}  // namespace wengert::cli
