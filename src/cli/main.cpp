// The command line: wengert train | eval | demo.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>
#include <wengert/diffusion/diffusion.hpp>
#include <wengert/io.hpp>
#include <wengert/nn/model_file.hpp>
#include <wengert/score/train.hpp>
#include <wengert/solvers/map.hpp>

#include "cli/plot.hpp"
#include "wengert/error.hpp"

using namespace wengert;

namespace {

struct DataChoice {
  std::string source = "ring8";  // a built-in name or a CSV file
  std::size_t samples = 20000;
  std::uint64_t seed = 1;
};

// The training data and, for built-in sets, the data set itself (for its true score).
std::pair<Matrix<double>, std::optional<score::Dataset>> load_data(const DataChoice& c) {
  if (std::filesystem::exists(c.source)) return {io::load_csv(c.source), std::nullopt};
  score::Dataset set = score::dataset(c.source);
  return {set.sample(c.samples, c.seed), set};
}

std::vector<Dim> parse_widths(const std::string& text) {
  std::vector<Dim> widths;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    try {
      widths.push_back(std::stol(text.substr(start, comma - start)));
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--widths '{}': write the layer widths separated by commas, e.g. 2,64,64,1", text));
    }
    start = comma + 1;
  }
  return widths;
}

void progress_line(const score::Progress& p) {
  static const bool terminal = ::isatty(::fileno(stdout));  // in place on a terminal, a line each in a log
  fmt::print("{}", terminal ? "\r" : "");
  fmt::print("step {:>6}/{}  loss {:>+10.4f}  held-out {:>+10.4f}  Fisher {:>9.4f}  {:>8.0f} samples/s  ETA {:>5.1f}s",
             p.step, p.steps, p.train_loss, p.holdout_loss, p.fisher, p.samples_per_second, p.eta_seconds);
  fmt::print("{}", terminal ? "" : "\n");
  std::fflush(stdout);
}

struct Metrics {
  double holdout_loss = NAN, fisher = NAN, tv = NAN, kl = NAN;
};

Metrics measure(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& held,
                const std::optional<score::Dataset>& truth, const score::LossOptions& loss, double extent) {
  Metrics m;
  m.holdout_loss = score::evaluate_loss(phi, theta, held, loss);
  if (truth && truth->score) m.fisher = score::fisher_divergence(phi, theta, held, *truth);
  if (truth && phi.dim() == 2) {
    const std::size_t n = 120;
    const double cell = (2 * extent / n) * (2 * extent / n);
    Matrix<double> p = score::reference_grid(*truth, -extent, extent, n),
                   q = score::density_grid(phi, theta, -extent, extent, n);
    m.tv = score::total_variation(p, q, cell);
    m.kl = score::kl_divergence(p, q, cell);
  }
  return m;
}

void print_metrics(const char* label, const Metrics& m) {
  auto shown = [](double v) {
    return std::isnan(v) ? std::string("n/a") : fmt::format("{:.4f}", v);
  };  // n/a: no true score or grid
  fmt::print("{:<18} held-out loss {:>+9.4f}   Fisher divergence {:>8}   TV {:>7}   KL {:>7}\n", label, m.holdout_loss,
             shown(m.fisher), shown(m.tv), shown(m.kl));
}

// The pictures of a trained 2-D model: learned density beside the true one, the
// score field over the samples, the loss curve.
void draw(const std::string& folder, const nn::Potential& phi, const std::vector<double>& theta,
          const Matrix<double>& data, const std::optional<score::Dataset>& truth, const score::TrainResult& result,
          double extent) {
  namespace fs = std::filesystem;
  fs::create_directories(folder);
  const std::size_t n = 120;
  auto grid_table = [&](const Matrix<double>& g) {
    Matrix<double> t(n * n, 3);
    const double h = 2 * extent / double(n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        t(i * n + j, 0) = -extent + (double(j) + 0.5) * h, t(i * n + j, 1) = -extent + (double(i) + 0.5) * h,
                     t(i * n + j, 2) = g(i, j);
    return t;
  };
  cli::write_table(folder + "/learned_density.dat", grid_table(score::density_grid(phi, theta, -extent, extent, n)));
  if (truth)
    cli::write_table(folder + "/true_density.dat", grid_table(score::reference_grid(*truth, -extent, extent, n)));
  const std::size_t shown = std::min<std::size_t>(data.rows(), 1500);
  Matrix<double> points(shown, 2);
  for (std::size_t i = 0; i < shown; ++i) points(i, 0) = data(i, 0), points(i, 1) = data(i, 1);
  cli::write_table(folder + "/samples.dat", points);
  const std::size_t m = 25;  // the score field on a coarse grid, arrows scaled to the cell
  Matrix<double> at(m * m, 2);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < m; ++j)
      at(i * m + j, 0) = -extent + (double(j) + 0.5) * 2 * extent / double(m),
                    at(i * m + j, 1) = -extent + (double(i) + 0.5) * 2 * extent / double(m);
  Matrix<double> s = score::model_score(phi, theta, at), arrows(m * m, 4);
  for (std::size_t k = 0; k < m * m; ++k) {
    const double len = std::hypot(s(k, 0), s(k, 1)), scale = 0.8 * (2 * extent / double(m)) / std::max(len, 1e-12);
    arrows(k, 0) = at(k, 0), arrows(k, 1) = at(k, 1), arrows(k, 2) = s(k, 0) * scale, arrows(k, 3) = s(k, 1) * scale;
  }
  cli::write_table(folder + "/score_field.dat", arrows);
  Matrix<double> curve(result.history.size(), 3);
  for (std::size_t k = 0; k < result.history.size(); ++k)
    curve(k, 0) = double(result.history[k].step), curve(k, 1) = result.history[k].train_loss,
             curve(k, 2) = result.history[k].holdout_loss;
  cli::write_table(folder + "/loss.dat", curve);
  const std::string script = folder + "/pictures.gp";
  std::ofstream gp(script);
  gp << "set terminal pngcairo size 1200,560 font ',11'\nset output '" << folder << "/density.png'\n"
     << "set multiplot layout 1,2\nset view map\nset size ratio -1\nunset key\nset palette rgb 33,13,10\n"
     << fmt::format("set xrange [{0}:{1}]\nset yrange [{0}:{1}]\n", -extent, extent)
     << "set title 'learned density exp(-phi)/Z'\nsplot '" << folder << "/learned_density.dat' using 1:2:3 with image\n"
     << (truth ? "set title 'true density'\nsplot '" + folder + "/true_density.dat' using 1:2:3 with image\n"
               : "set title 'samples'\nplot '" + folder + "/samples.dat' with dots\n")
     << "unset multiplot\n"
     << "set terminal pngcairo size 700,700 font ',11'\nset output '" << folder << "/score.png'\nunset view\n"
     << "set title 'learned score s = -grad phi over the samples'\n"
     << "plot '" << folder << "/samples.dat' with dots lc rgb '#999999', '" << folder
     << "/score_field.dat' using 1:2:3:4 with vectors head filled size 0.04,20 lc rgb '#1f4e9c'\n"
     << "set terminal pngcairo size 800,480 font ',11'\nset output '" << folder << "/loss.png'\nset size noratio\n"
     << "set autoscale\nset key top right\nset xlabel 'step'\nset ylabel 'score-matching loss'\nset title 'loss "
        "curve'\n"
     << "plot '" << folder
     << "/loss.dat' using 1:2 with linespoints title 'training (mean since last point)', '' using 1:3 "
     << "with linespoints title 'held out'\n";
  gp.close();
  if (cli::run_gnuplot(script))
    fmt::print("pictures: {0}/density.png (learned beside true density), {0}/score.png (score field), {0}/loss.png\n",
               folder);
}

solvers::ForwardOperator make_operator(const std::string& kind, std::size_t n, double width, const std::string& mask,
                                       std::size_t stride) {
  if (kind == "identity") return solvers::mask_operator(std::vector<double>(n, 1.0));
  if (kind == "subsample") return solvers::subsample_operator(n, stride);
  if (kind == "blur") {
    if (!(width > 0)) throw UsageError(fmt::format("--width {}: the blur width must be positive", width));
    const int half = static_cast<int>(std::ceil(3 * width));
    std::vector<double> kernel;
    double sum = 0;
    for (int k = -half; k <= half; ++k) sum += kernel.emplace_back(std::exp(-0.5 * k * k / (width * width)));
    for (double& w : kernel) w /= sum;
    return solvers::convolution_operator(n, kernel);
  }
  if (kind == "mask") {
    std::vector<double> keep;
    std::stringstream fields(mask);
    for (std::string f; std::getline(fields, f, ',');) keep.push_back(f == "1" ? 1.0 : f == "0" ? 0.0 : NAN);
    if (keep.size() != n || std::any_of(keep.begin(), keep.end(), [](double v) { return std::isnan(v); }))
      throw UsageError(fmt::format("--mask: give {} entries of 0 or 1, comma-separated (the prior is on R^{})", n, n));
    return solvers::mask_operator(keep);
  }
  throw UsageError(fmt::format("--operator '{}': use identity, blur, mask or subsample", kind));
}

int run_map(const std::string& prior, const std::string& in, const std::string& out, const std::string& op,
            double width, const std::string& mask, std::size_t stride, double sigma,
            const solvers::MapOptions& options) {
  auto [phi, theta] = nn::load_model(prior);
  const auto n = static_cast<std::size_t>(phi.dim());
  solvers::MapProblem problem{make_operator(op, n, width, mask, stride), sigma, phi, theta};
  Matrix<double> b = io::load_csv(in);
  if (b.cols() != problem.forward.m)
    throw UsageError(fmt::format("--in '{}' has {} columns; the {} operator on R^{} observes {}", in, b.cols(), op, n,
                                 problem.forward.m));
  Matrix<double> x0 =
      solvers::apply_adjoint(problem.forward, Matrix<double>(b.rows(), n), b);  // Fᵀb, a start in x's space
  const Matrix<double> f0 = solvers::map_objective(problem, b, x0);
  solvers::MapResult r = solvers::solve_map(problem, b, x0, options);
  io::save_csv(out, r.x);
  double start = 0, g = 0;
  for (std::size_t i = 0; i < b.rows(); ++i) start += f0(i, 0) / double(b.rows()), g = std::max(g, r.gradient_norm[i]);
  fmt::print(
      "{} problems, {} operator, sigma {}: objective {:.6g} -> {:.6g} in at most {} iterations ({}); largest final "
      "gradient norm {:.3g}; estimates written to {}\n",
      b.rows(), op, sigma, start, r.objective.empty() ? start : r.objective.back(),
      *std::max_element(r.iterations.begin(), r.iterations.end()), r.converged ? "converged" : "iteration limit", g,
      out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wengert: automatic differentiation on tapes, and score matching on top of it"};
  app.require_subcommand(1);

  DataChoice data;
  std::string widths = "2,64,64,1", activation = "softplus", loss = "exact", probe = "rademacher", out = "model.wgt";
  score::TrainOptions options;
  options.learning_rate = 3e-3;
  options.threads = 2;
  double confinement = 0.01;
  auto add_training = [&](CLI::App* cmd) {
    cmd->add_option("--data", data.source,
                    "built-in data set (gaussian, ring8, two_moons, rings, checkerboard, swiss_roll) or a CSV file");
    cmd->add_option("--samples", data.samples, "samples drawn from a built-in set");
    cmd->add_option("--widths", widths, "MLP layer widths, from d to 1");
    cmd->add_option("--activation", activation, "tanh, softplus or silu");
    cmd->add_option("--confinement", confinement, "alpha in alpha‖x‖²/2, keeps exp(-phi) normalisable");
    cmd->add_option("--loss", loss, "exact, hutchinson, sliced or denoising");
    cmd->add_option("--probes", options.loss.probes, "probes per sample for hutchinson and sliced");
    cmd->add_option("--probe", probe, "rademacher or gaussian");
    cmd->add_option("--sigma", options.loss.sigma, "noise level of the denoising loss");
    cmd->add_option("--optimizer", options.optimizer, "adam or sgd");
    cmd->add_option("--lr", options.learning_rate, "learning rate (a cosine schedule takes it to 0)");
    cmd->add_option("--steps", options.steps, "optimisation steps");
    cmd->add_option("--batch", options.batch, "samples per step");
    cmd->add_option("--seed", options.seed, "seed of everything random");
    cmd->add_option("--threads", options.threads, "threads per step");
    cmd->add_option("--patience", options.patience, "stop after this many evaluations without progress (0: never)");
  };
  CLI::App* train_cmd = app.add_subcommand("train", "learn a potential from samples by score matching");
  add_training(train_cmd);
  train_cmd->add_option("--out", out, "the model file to write");
  std::string model = "model.wgt", folder = "demo";
  CLI::App* eval_cmd = app.add_subcommand("eval", "measure a model file against data");
  eval_cmd->add_option("--model", model, "the model file");
  eval_cmd->add_option("--data", data.source, "built-in data set or CSV file");
  eval_cmd->add_option("--samples", data.samples, "samples drawn from a built-in set");
  CLI::App* demo_cmd =
      app.add_subcommand("demo", "train an MLP on the 8-Gaussian ring, print the metrics, draw pictures");
  add_training(demo_cmd);
  demo_cmd->add_option("--out", folder, "folder for the model and the pictures");
  std::string map_prior = "model.wgt", map_in, map_out = "estimate.csv", map_operator = "identity", map_mask;
  double map_sigma = 0.1, map_width = 1.5;
  std::size_t map_stride = 2;
  solvers::MapOptions map_options;
  map_options.max_iterations = 500;
  map_options.gradient_tolerance = 1e-6;
  CLI::App* map_cmd =
      app.add_subcommand("map", "MAP estimates of x from observations b = F(x) + noise, with a learned prior");
  map_cmd->add_option("--prior", map_prior, "the prior's model file (from wengert train)");
  map_cmd->add_option("--in", map_in, "observations b, one problem per row (CSV)")->required();
  map_cmd->add_option("--out", map_out, "the estimates x, one per row (CSV, written atomically)");
  map_cmd->add_option("--operator", map_operator, "identity, blur, mask or subsample");
  map_cmd->add_option("--width", map_width, "blur: the Gaussian kernel's standard deviation, in samples");
  map_cmd->add_option("--mask", map_mask, "mask: the kept entries as 0/1, comma-separated");
  map_cmd->add_option("--stride", map_stride, "subsample: keep every stride-th entry");
  map_cmd->add_option("--sigma", map_sigma, "the noise level of the observations");
  map_cmd->add_option("--step", map_options.step, "a fixed step mu; 0 uses Armijo backtracking");
  map_cmd->add_flag("--nesterov", map_options.nesterov, "Nesterov's acceleration (with a fixed step)");
  map_cmd->add_option("--iterations", map_options.max_iterations, "at most this many iterations");
  map_cmd->add_option("--threads", map_options.threads, "threads per iteration");
  std::string sample_model, sample_out = "samples.csv", sampler = "sde", diffusion_loss = "denoising";
  std::size_t sample_n = 2000, sample_levels = 300, diffusion_steps = 6000, diffusion_width = 128;
  bool retrain = false;
  CLI::App* sample_cmd =
      app.add_subcommand("sample", "learn a time-conditioned score along x_t = sqrt(t) x + sqrt(1-t) z and sample");
  sample_cmd->add_option("--data", data.source, "built-in data set or CSV file to learn from");
  sample_cmd->add_option("--model", sample_model,
                         "a model file: loaded if it exists (unless --retrain), else written after training");
  sample_cmd->add_flag("--retrain", retrain, "train even if the model file exists");
  sample_cmd->add_option("--train-steps", diffusion_steps, "training steps");
  sample_cmd->add_option("--loss", diffusion_loss, "denoising, exact or hutchinson score matching at each sampled t");
  sample_cmd->add_option("--width", diffusion_width, "hidden width of the MLP [d, w, w, 1]");
  sample_cmd->add_option("--sampler", sampler, "langevin, sde or ode");
  sample_cmd->add_option("--n", sample_n, "samples to draw");
  sample_cmd->add_option("--levels", sample_levels, "levels of t from noise to data");
  sample_cmd->add_option("--seed", options.seed, "seed of everything random");
  sample_cmd->add_option("--out", sample_out, "the samples (CSV, written atomically)");
  CLI11_PARSE(app, argc, argv);

  try {
    options.loss.kind = score::loss_from(loss);
    options.loss.probe = probe == "gaussian" ? estimators::Probe::gaussian
                         : probe == "rademacher"
                             ? estimators::Probe::rademacher
                             : throw UsageError(fmt::format("--probe '{}': use rademacher or gaussian", probe));
    const double extent = 4.0;
    if (sample_cmd->parsed()) {
      auto [x, truth] = load_data(data);
      nn::Potential phi;
      std::vector<double> theta;
      if (!sample_model.empty() && std::filesystem::exists(sample_model) && !retrain) {
        std::tie(phi, theta) = nn::load_model(sample_model);
        if (phi.kind != "time_mlp")
          throw UsageError(fmt::format("--model '{}' is a {} potential, not time-conditioned", sample_model, phi.kind));
      } else {
        const auto w = static_cast<Dim>(diffusion_width);
        phi = nn::time_mlp({static_cast<Dim>(x.cols()), w, w, 1}, nn::Activation::softplus, 8);
        fmt::print("training a time-conditioned MLP [{}, {}, {}, 1] on {} ({} samples), {} loss, {} steps\n", x.cols(),
                   w, w, data.source, x.rows(), diffusion_loss, diffusion_steps);
        const auto start = std::chrono::steady_clock::now();
        theta = diffusion::train(
            phi, nn::initial_parameters(phi, options.seed), x,
            {.loss = diffusion::loss_from(diffusion_loss),
             .steps = diffusion_steps,
             .seed = options.seed,
             .threads = 2,
             .report = [](std::size_t step, double loss) { fmt::print("step {:>6}  loss {:.5f}\n", step, loss); }});
        fmt::print("trained in {:.1f} s\n",
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (!sample_model.empty()) nn::save_model(sample_model, phi, theta);
      }
      Matrix<double> generated =
          diffusion::sample(diffusion::sampler_from(sampler), diffusion::learned_score(phi, theta, 2), sample_n,
                            static_cast<std::size_t>(phi.dim()), {.steps = sample_levels, .seed = options.seed});
      io::save_csv(sample_out, generated);
      fmt::print("{} samples by the {} sampler written to {}\n", sample_n, sampler, sample_out);
      if (truth) {
        Matrix<double> reference = truth->sample(sample_n, options.seed + 100),
                       other = truth->sample(sample_n, options.seed + 200);
        auto show = [&](const char* what, const Matrix<double>& m) {
          fmt::print("  {:<28} energy distance {:>8.4f}   sliced Wasserstein {:.4f}\n", what,
                     score::energy_distance(m, reference), score::sliced_wasserstein(m, reference));
        };
        show("generated", generated);
        show("floor (independent truth)", other);
        show("fitted Gaussian", score::fitted_gaussian(x, sample_n, options.seed + 300));
      }
      return 0;
    }
    if (map_cmd->parsed())
      return run_map(map_prior, map_in, map_out, map_operator, map_width, map_mask, map_stride, map_sigma, map_options);
    if (eval_cmd->parsed()) {
      auto [phi, theta] = nn::load_model(model);
      data.seed = 99;  // fresh samples, not the training draw
      auto [x, truth] = load_data(data);
      print_metrics(model.c_str(), measure(phi, theta, x, truth, {}, extent));
      return 0;
    }
    const bool demo = demo_cmd->parsed();
    if (demo && options.steps == 2000) options.steps = 3000;
    auto [x, truth] = load_data(data);
    nn::Potential phi = nn::mlp(parse_widths(widths), nn::activation_from(activation), confinement);
    if (x.cols() != static_cast<std::size_t>(phi.dim()))
      throw UsageError(fmt::format("--widths starts with {}, but the data has {} columns", phi.dim(), x.cols()));
    const std::vector<double> theta0 = nn::initial_parameters(phi, options.seed);
    if (demo) std::filesystem::create_directories(folder);
    const std::string model_path = demo ? folder + "/model.wgt" : out;
    options.checkpoint = model_path;
    options.report = progress_line;
    fmt::print("training {} [{}] {} on {} ({} samples), {} loss, {} steps of {}\n", phi.kind, widths, activation,
               data.source, x.rows(), loss, options.steps, options.batch);
    const auto start = std::chrono::steady_clock::now();
    score::TrainResult result = score::train(phi, theta0, x, options, truth ? &*truth : nullptr);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("{}done in {:.1f} s{}; best held-out loss at step {}; model written to {}\n",
               ::isatty(::fileno(stdout)) ? "\n" : "", seconds, result.stopped_early ? " (stopped early)" : "",
               result.best_step, model_path);
    nn::save_model(model_path, phi, result.theta);
    if (truth) {
      data.seed = 99;
      data.samples = 4000;
      Matrix<double> held = load_data(data).first;
      print_metrics("at initialisation", measure(phi, theta0, held, truth, {}, extent));
      print_metrics("trained", measure(phi, result.theta, held, truth, {}, extent));
    }
    if (demo && phi.dim() == 2) draw(folder, phi, result.theta, x, truth, result, extent);
  } catch (const wengert::Error& e) {
    fmt::print(stderr, "\nwengert: {}\n", e.what());
    return 2;
  }
  return 0;
}
