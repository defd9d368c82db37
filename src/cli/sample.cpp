// wengert sample: learn (or load) a time-conditioned score along the homotopy
// and turn noise into samples; print their distances to fresh true samples
// beside the floor of two true samples and a fitted Gaussian.
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

constexpr std::size_t time_frequencies = 8;                                           // Fourier features of the level t
constexpr std::uint64_t reference_seed = 100, floor_seed = 200, gaussian_seed = 300;  // offsets from --seed

std::pair<nn::Potential, std::vector<double>> trained_model(const SampleCommand& c, const Matrix<double>& x) {
  const auto w = static_cast<Dim>(c.width);
  nn::Potential phi = nn::time_mlp({static_cast<Dim>(x.cols()), w, w, 1}, nn::Activation::softplus, time_frequencies);
  fmt::print("training a time-conditioned MLP [{}, {}, {}, 1] on {} ({} samples), {} loss, {} steps\n", x.cols(), w, w,
             c.data.source, x.rows(), c.loss, c.train_steps);
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> theta = diffusion::train(
      phi, nn::initial_parameters(phi, c.data.seed), x,
      {.loss = diffusion::loss_from(c.loss),
       .steps = c.train_steps,
       .seed = c.data.seed,
       .threads = c.threads,
       .report = [](std::size_t step, double loss) { fmt::print("step {:>6}  loss {:.5f}\n", step, loss); }});
  fmt::print("trained in {:.1f} s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!c.model.empty()) nn::save_model(c.model, phi, theta);
  return {std::move(phi), std::move(theta)};
}

std::pair<nn::Potential, std::vector<double>> loaded_model(const SampleCommand& c) {
  auto model = nn::load_model(c.model);
  if (model.first.kind != "time_mlp")
    throw UsageError(
        fmt::format("--model '{}' is a {} potential, not time-conditioned; train one with wengert sample "
                    "--retrain",
                    c.model, model.first.kind));
  return model;
}

void print_distances(const SampleCommand& c, const Data& data, const Matrix<double>& generated) {
  const std::uint64_t seed = c.data.seed;
  const Matrix<double> reference = data.truth->sample(c.n, seed + reference_seed);
  auto show = [&](const char* what, const Matrix<double>& m) {
    fmt::print("  {:<28} energy distance {:>8.4f}   sliced Wasserstein {:.4f}\n", what,
               score::energy_distance(m, reference), score::sliced_wasserstein(m, reference));
  };
  show("generated", generated);
  show("floor (independent truth)", data.truth->sample(c.n, seed + floor_seed));
  show("fitted Gaussian", score::fitted_gaussian(data.x, c.n, seed + gaussian_seed));
}

}  // namespace

void add_sample_options(CLI::App& cmd, SampleCommand& c) {
  add_data_options(cmd, c.data, true);
  add_text(cmd, "--model", c.model,
           "a model file: loaded if it exists (unless --retrain), else written after training");
  cmd.add_flag("--retrain", c.retrain, "train even if the model file exists");
  add_count(cmd, "--train-steps", c.train_steps, 1, 1'000'000'000, "training steps");
  add_text(cmd, "--loss", c.loss, "denoising, exact or hutchinson score matching at each sampled t");
  add_count(cmd, "--width", c.width, 1, 1 << 20, "hidden width of the MLP [d, w, w, 1]");
  add_text(cmd, "--sampler", c.sampler, "langevin, sde or ode");
  add_count(cmd, "--n", c.n, 1, 100'000'000, "samples to draw");
  add_count(cmd, "--levels", c.levels, 1, 10'000'000, "levels of t from noise to data");
  add_int(cmd, "--threads", c.threads, 1, 256, "threads for training and sampling");
  add_text(cmd, "--out", c.out, "the samples (CSV, written atomically)");
}

int run_sample(SampleCommand& c) {
  check_distinct("--out", c.out, "--data", c.data.source);
  if (!c.model.empty()) check_distinct("--out", c.out, "--model", c.model);
  const auto sampler = diffusion::sampler_from(c.sampler);
  const Data data = load_data(c.data);
  std::error_code error;
  const bool load = !c.model.empty() && std::filesystem::exists(c.model, error) && !c.retrain;
  if (!load) diffusion::loss_from(c.loss);  // refused before training, not after
  const auto [phi, theta] = load ? loaded_model(c) : trained_model(c, data.x);
  check_dimension(load ? c.model : "the trained model", phi, c.data.source, data.x.cols());
  const Matrix<double> generated =
      diffusion::sample(sampler, diffusion::learned_score(phi, theta, c.threads), c.n,
                        static_cast<std::size_t>(phi.dim()), {.steps = c.levels, .seed = c.data.seed});
  io::save_csv(c.out, generated);
  fmt::print("{} samples by the {} sampler written to {}\n", c.n, c.sampler, c.out);
  if (data.truth) print_distances(c, data, generated);
  return 0;
}

}  // namespace wengert::cli
