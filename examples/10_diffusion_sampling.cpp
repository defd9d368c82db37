// 10. Diffusion along the lecture's homotopy: learn a time-conditioned score,
// then turn noise into samples.
//
// For three 2-D data sets (the 8-Gaussian ring, two moons, two rings): train
// phi(x, t) with EDM's noise-level scaling (nn::edm_mlp) by denoising score
// matching on fresh samples, draw 20000 samples with each sampler in 50 score
// evaluations (Heun's ODE, DPM-Solver++ 2M, its SDE variant, annealed
// Langevin), and judge them against the exact density: the TV of a 64² histogram
// beside the floor of 20000 exact samples (blur and misplaced mass both raise
// it) and the mean distance to the data's support (blur raises it). The
// walkthrough fails unless the SDE sampler's TV is within 2.5× the floor on
// every data set: a short training run, so the bound is looser than the one
// bench/quality.py holds the command's defaults to.
// It draws diffusion.png: the noisy law at several t, the learned score
// field, generated against true samples.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <wengert/diffusion/diffusion.hpp>

#include "check.hpp"

using namespace wengert;

namespace {
constexpr std::size_t shown = 2000;  // points in each picture

void write(const std::string& path, const Matrix<double>& m, std::size_t rows = shown) {
  std::ofstream out(path);
  for (std::size_t i = 0; i < std::min(rows, m.rows()); ++i) out << m(i, 0) << ' ' << m(i, 1) << '\n';
}
}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = 20000;
  const Dim width = argc > 1 ? std::atoi(argv[1]) : 128;  // the network and its training from the command line
  const std::size_t steps = argc > 2 ? std::atoi(argv[2]) : 4000;
  const std::vector<diffusion::Sampler> samplers = {diffusion::Sampler::heun, diffusion::Sampler::dpm,
                                                    diffusion::Sampler::sde, diffusion::Sampler::langevin};
  fmt::print("histogram TV of {} samples against the exact density (in brackets: mean distance to the support)\n", n);
  fmt::print("{:<10} {:>16} {:>16} {:>16} {:>16} {:>16}\n", "data", "floor (exact)", "heun", "dpm", "sde", "langevin");
  for (const char* name : {"ring8", "two_moons", "rings"}) {
    score::Dataset data = score::dataset(name);
    const double s = diffusion::data_scale(data.sample(20000, 1));
    nn::Potential phi = nn::edm_mlp({2, width, width, 1}, nn::Activation::silu, 8, s);
    std::vector<double> theta = diffusion::train(phi, nn::initial_parameters(phi, 1), data,
                                                 {.steps = steps,
                                                  .batch = 512,
                                                  .learning_rate = 1e-2,
                                                  .warmup = steps / 20,
                                                  .keep = nn::Keep::ema,
                                                  .sigma_max = 5 * s,
                                                  .threads = 2});
    diffusion::ScoreField score = diffusion::learned_score(phi, theta, 2);
    auto cell = [](double tv, double support) { return fmt::format("{:.3f} ({:.3f})", tv, support); };
    std::string cells;
    Matrix<double> generated;
    double floor = 0;
    for (diffusion::Sampler kind : samplers) {
      Matrix<double> x = diffusion::sample(kind, score, n, 2, {.evaluations = 50, .sigma_max = 5 * s, .data_scale = s});
      const score::SampleQuality q = score::judge_samples(data, x, 2);
      if (cells.empty()) cells = fmt::format(" {:>16}", cell(q.floor_tv, q.floor_support_distance));
      cells += fmt::format(" {:>16}", cell(q.histogram_tv, q.support_distance));
      floor = q.floor_tv;
      if (kind != diffusion::Sampler::sde) continue;
      generated = x;
      if (!(q.histogram_tv <= 2.5 * floor)) ++walkthrough::failures;
    }
    fmt::print("{:<10}{}\n", name, cells);
    if (std::string(name) != "ring8") continue;
    // The pictures' data: x_t at t = 0.1, 0.5, 0.9, the learned score field at t = 0.9, generated vs true.
    for (double t : {0.1, 0.5, 0.9}) {
      Matrix<double> x = data.sample(shown, 6), noise = score::gaussian(2).sample(shown, 7);
      write(fmt::format("diffusion_t{}.dat", t), diffusion::homotopy(x, noise, std::vector<double>(shown, t)));
    }
    const Matrix<double> grid = score::grid_centres(-3.15, 3.15, 21);  // centres -3, -2.7, ..., 3
    Matrix<double> v = score(grid, 0.9);
    std::ofstream field("diffusion_score.dat");
    for (std::size_t k = 0; k < grid.rows(); ++k) {
      const double len = std::max(std::hypot(v(k, 0), v(k, 1)), 1e-12);
      field << grid(k, 0) << ' ' << grid(k, 1) << ' ' << 0.25 * v(k, 0) / len << ' ' << 0.25 * v(k, 1) / len << '\n';
    }
    write("diffusion_generated.dat", generated, shown);
    write("diffusion_true.dat", data.sample(shown, 2));
  }
  std::ofstream gp("diffusion.gp");
  gp << "set terminal pngcairo size 1500,330 font ',10'\nset output 'diffusion.png'\nset multiplot layout 1,5\n"
        "set size ratio -1\nset xrange [-3:3]\nset yrange [-3:3]\nunset key\n"
        "set title 'x_t, t = 0.1'\nplot 'diffusion_t0.1.dat' w dots lc rgb '#1f4e9c'\n"
        "set title 'x_t, t = 0.5'\nplot 'diffusion_t0.5.dat' w dots lc rgb '#1f4e9c'\n"
        "set title 'x_t, t = 0.9'\nplot 'diffusion_t0.9.dat' w dots lc rgb '#1f4e9c'\n"
        "set title 'learned score, t = 0.9'\nplot 'diffusion_score.dat' u 1:2:3:4 w vectors head filled size 0.05,20 "
        "lc rgb '#1f4e9c'\n"
        "set title 'generated (SDE) and true'\nplot 'diffusion_true.dat' w dots lc rgb '#999999', "
        "'diffusion_generated.dat' w dots lc rgb '#c0392b'\n"
        "unset multiplot\n";
  gp.close();
  walkthrough::draw("diffusion.gp", "diffusion.png",
                    "x_t at three levels, the learned score, generated and true samples");
  return walkthrough::finish();
}
