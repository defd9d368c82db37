// wengert sample: learn (or load) a time-conditioned score along the homotopy,
// or take a mixture's exact one, and turn noise into samples; judge them
// against the exact law beside the floor of as many exact samples.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "wengert/diffusion/diffusion.hpp"
#include "wengert/error.hpp"
#include "wengert/io.hpp"
#include "wengert/nn/model_file.hpp"

namespace wengert::cli {

namespace {

constexpr std::size_t time_frequencies = 8;  // Fourier features of the noise level
constexpr std::uint64_t reference_seed = 100, floor_seed = 200, gaussian_seed = 300;  // offsets from --seed
constexpr std::size_t distance_rows = 4000;  // the energy distance costs rows²: a subset shows enough

std::pair<nn::Potential, std::vector<double>> trained_model(const SampleCommand& c, const Data& data) {
  const auto w = static_cast<Dim>(c.width);
  const std::size_t d = data.stream() ? data.truth->dim : data.x.cols();
  const Matrix<double> scale_rows = data.stream() ? data.truth->sample(100000, c.data.seed) : data.x;
  const double s = diffusion::data_scale(scale_rows);
  nn::Potential phi = nn::edm_mlp({static_cast<Dim>(d), w, w, 1}, nn::Activation::silu, time_frequencies, s);
  diffusion::TrainOptions options{
      .loss = diffusion::loss_from(c.loss),
      .steps = c.train_steps,
      .batch = c.batch,
      .learning_rate = c.learning_rate,
      .warmup = c.train_steps / 20,
      .keep = nn::keep_from(c.keep),
      .sigma_min = lowest_noise,
      .sigma_max = highest_noise * s,
      .seed = c.data.seed,
      .threads = c.threads,
      .communicator = c.communicator,
      .checkpoint = c.checkpoint,
      .resume = c.resume,
      .report_every = std::max<std::size_t>(1, c.train_steps / 10),
      .report = [](std::size_t step, double loss) { fmt::print("step {:>6}  loss {:.5f}\n", step, loss); }};
  fmt::print(
      "training a time-conditioned potential (EDM scaling, data scale {:.3g}) with MLP [{}, {}, {}, 1] on {}{}, "
      "{} loss, {} steps of {} at rate {:g}, keeping the {}\n",
      s, d, w, w, c.data.source, data.stream() ? " (fresh samples every step)" : "", c.loss, c.train_steps, c.batch,
      c.learning_rate, c.keep == "ema" ? "exponential moving average" : "last iterate");
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> theta =
      data.stream() ? diffusion::train(phi, nn::initial_parameters(phi, c.data.seed), *data.truth, options)
                    : diffusion::train(phi, nn::initial_parameters(phi, c.data.seed), data.x, options);
  fmt::print("trained in {:.1f} s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!c.model.empty() && !(c.communicator && c.communicator->rank() > 0)) nn::save_model(c.model, phi, theta);
  return {std::move(phi), std::move(theta)};
}

std::pair<nn::Potential, std::vector<double>> loaded_model(const SampleCommand& c) {
  auto model = nn::load_model(c.model);
  if (!model.first.tape.has_input("t"))
    throw UsageError(
        fmt::format("--model '{}' is a {} potential, not time-conditioned; train one with wengert sample "
                    "--retrain",
                    c.model, model.first.kind));
  return model;
}

void print_distances(const SampleCommand& c, const score::Dataset& truth, const Matrix<double>& generated) {
  const std::uint64_t seed = c.data.seed;
  if (truth.dim == 2) {
    const score::SampleQuality q = score::judge_samples(truth, generated, seed + floor_seed);
    fmt::print("  histogram TV (64², [-4, 4]²) {:.4f}, floor of {} exact samples {:.4f} (ratio {:.2f})\n",
               q.histogram_tv, generated.rows(), q.floor_tv, q.histogram_tv / q.floor_tv);
    if (!std::isnan(q.support_distance))
      fmt::print("  mean distance to the support {:.4f}, exact samples {:.4f}\n", q.support_distance,
                 q.floor_support_distance);
    if (!q.masses.empty()) print_masses("  samples'", q.masses, truth.region_mass);
  }
  const std::size_t rows = std::min(generated.rows(), distance_rows);
  if (rows < 2) return;  // a distance between sets needs two rows in each
  const Matrix<double> reference = truth.sample(rows, seed + reference_seed);
  Matrix<double> some(rows, generated.cols());
  std::copy_n(generated.data(), rows * generated.cols(), some.data());
  auto show = [&](const char* what, const Matrix<double>& m) {
    fmt::print("  {:<28} energy distance {:>8.4f}   sliced Wasserstein {:.4f}  ({} rows)\n", what,
               score::energy_distance(m, reference), score::sliced_wasserstein(m, reference), rows);
  };
  show("generated", some);
  show("floor (independent truth)", truth.sample(rows, seed + floor_seed));
  show("fitted Gaussian", score::fitted_gaussian(truth.sample(rows, seed), rows, seed + gaussian_seed));
}

}  // namespace

void add_sample_options(CLI::App& cmd, SampleCommand& c) {
  add_data_options(cmd, c.data, true);
  add_text(cmd, "--model", c.model,
           "a model file: loaded if it exists (unless --retrain), else written after training");
  cmd.add_flag("--retrain", c.retrain, "train even if the model file exists");
  add_text(cmd, "--checkpoint", c.checkpoint,
           "a checkpoint of the training written (atomically) every tenth of the steps: a model file, and what "
           "--resume needs to go on");
  add_text(cmd, "--resume", c.resume,
           "train from a checkpoint of a run with the same flags (--threads aside), to the model that run would "
           "have reached");
  cmd.add_flag("--exact-score", c.exact_score, "sample with the exact score of a Gaussian-mixture data set (ring8)");
  add_count(cmd, "--train-steps", c.train_steps, 1, 1'000'000'000, "training steps");
  add_count(cmd, "--batch", c.batch, 1, 100'000'000, "samples per training step");
  add_real(cmd, "--lr", c.learning_rate, 0, 1e6, true, "learning rate (a cosine schedule takes it to 0)");
  add_text(cmd, "--keep", c.keep, "the model kept: last (iterate) or ema (exponential moving average of the iterates)");
  add_text(cmd, "--loss", c.loss, "denoising, exact or hutchinson score matching at each sampled level");
  add_count(cmd, "--width", c.width, 1, 1 << 20, "hidden width of the MLP [d, w, w, 1]");
  add_text(cmd, "--sampler", c.sampler,
           "heun (ODE), dpm (ODE, DPM-Solver++ 2M), sde (SDE-DPM-Solver++ 2M) or langevin (annealed)");
  add_count(cmd, "--nfe", c.evaluations, 1, 10'000'000, "score evaluations per sample: the sampler's cost");
  add_count(cmd, "--n", c.n, 1, 100'000'000, "samples to draw");
  add_int(cmd, "--threads", c.threads, 1, 256, "threads for training and sampling");
  add_text(cmd, "--out", c.out, "the samples (CSV, written atomically)");
}

int run_sample(SampleCommand& c) {
  check_distinct("--out", c.out, "--data", c.data.source);
  if (!c.model.empty()) check_distinct("--out", c.out, "--model", c.model);
  const auto sampler = diffusion::sampler_from(c.sampler);
  const Data data = load_data(c.data, true);
  diffusion::SampleOptions options{.evaluations = c.evaluations, .seed = c.data.seed};
  diffusion::ScoreField score;
  std::size_t d = data.stream() ? data.truth->dim : data.x.cols();
  if (c.exact_score) {
    if (!data.truth || !data.truth->mixture)
      throw UsageError(
          fmt::format("--exact-score: '{}' is not a Gaussian mixture; use ring8 or gaussian", c.data.source));
    score = diffusion::exact_score(*data.truth);
    options.data_scale = diffusion::data_scale(data.truth->sample(100000, c.data.seed));
  } else {
    std::error_code error;
    const bool load = !c.model.empty() && std::filesystem::exists(c.model, error) && !c.retrain && c.resume.empty();
    if (!load) {  // refused before training, not after
      diffusion::loss_from(c.loss);
      nn::keep_from(c.keep);
    }
    auto [phi, theta] = load ? loaded_model(c) : trained_model(c, data);
    check_dimension(load ? c.model : "the trained model", phi, c.data.source, d);
    options.data_scale = phi.sigma_data;  // 0 for a time_mlp: the start is then N(0, sigma_max² I)
    score = diffusion::learned_score(phi, theta, c.threads);
  }
  if (options.data_scale > 0) options.sigma_max = highest_noise * options.data_scale;
  options.sigma_min = lowest_noise;
  options.communicator = c.communicator;  // the rows shared by the ranks, gathered in order
  const auto start = std::chrono::steady_clock::now();
  const Matrix<double> generated = diffusion::sample(sampler, score, c.n, d, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (c.communicator && c.communicator->rank() > 0) return 0;  // rank 0 writes and judges them
  io::save_csv(c.out, generated);
  fmt::print(
      "{} samples by the {} sampler in {} score evaluations each ({:.2f} s{}) written to {}\n", c.n, c.sampler,
      c.evaluations, seconds,
      c.communicator && c.communicator->size() > 1 ? fmt::format(", shared by {} ranks", c.communicator->size()) : "",
      c.out);
  if (data.truth) print_distances(c, *data.truth, generated);
  return 0;
}

}  // namespace wengert::cli
