// Training throughput and quality beside PyTorch: the same MLP [d, 64, 64, 1]
// (softplus, confinement 0.01), the same initial weights, data, loss, Adam and
// cosine schedule, batch 256, the same number of steps; samples per second and
// the final Fisher divergence on the same held-out samples. Beside them, the
// rate of wengert's products (the flops of its step's matrix products, element-wise
// work not counted) as a share of the peak FMA rate measured here, and the
// ceiling it sets: the ratio to PyTorch if the products ran at that peak and
// nothing else took time.
//
//   build/bench/train            (PyTorch runs when /usr/bin/python3 has torch)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <wengert/nn/fit.hpp>
#include <wengert/score/loss.hpp>
#include <wengert/score/train.hpp>

#include "peak.hpp"

using namespace wengert;

namespace {

void write_csv(const std::string& path, const Matrix<double>& m) {
  std::ofstream out(path);
  for (std::size_t i = 0; i < m.rows(); ++i)
    for (std::size_t j = 0; j < m.cols(); ++j)
      out << fmt::format("{:.17g}", m(i, j)) << (j + 1 < m.cols() ? ',' : '\n');
}

score::Dataset mixture16() {  // four well-separated isotropic Gaussians in R^16
  Matrix<double> means(4, 16);
  for (std::size_t c = 0; c < 4; ++c)
    for (std::size_t j = 0; j < 16; ++j) means(c, j) = 1.5 * std::sin(1.7 * double(c) + 0.9 * double(j) + 0.3);
  return score::gaussian_mixture("mixture16", means, {0.5, 0.5, 0.5, 0.5}, {1, 1, 1, 1});
}

// The flops of the products in one run of a planned tape at `rows` rows,
// 2·m·k·n each (a sum over the batch, Xᵀ·Y, has k = rows).
double product_flops(const Tape& tape, std::size_t rows) {
  auto size = [&](Dim n) { return n == batch ? double(rows) : double(n); };
  double flops = 0;
  for (const Node& node : tape.nodes())
    if (node.op == Op::matmul)
      flops += 2 * size(node.shape.rows) * size(tape.node(node.a).shape.cols) * size(node.shape.cols);
  return flops;
}

}  // namespace

int main() {
  bench::print_machine();
  const double peak = bench::peak_gflops<double>();
  const std::size_t steps = 1000, batch = 256;
  const std::string folder = (std::filesystem::temp_directory_path() / "wengert_train_bench").string();
  std::filesystem::create_directories(folder);
  const bool torch = std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
  if (torch) {  // which BLAS torch runs on: without libopenblas0, Debian's reference BLAS, 3-5x slower at products
    std::fflush(stdout);
    const int shown = std::system(
        "/usr/bin/python3 -c \"import os, torch; torch.ones(8, 8) @ torch.ones(8, 8); "
        "blas = sorted({os.path.basename(l.split()[-1]) for l in open('/proc/self/maps') if 'blas' in l.lower()}); "
        "note = '' if any('openblas' in b for b in blas) else ' (the reference BLAS: apt-get install libopenblas0)'; "
        "print('PyTorch ' + torch.__version__ + ' on ' + (', '.join(blas) or 'an unknown BLAS') + note)\"");
    if (shown != 0) fmt::print("PyTorch's BLAS: could not tell\n");
  }
  fmt::print(
      "MLP [d, 64, 64, 1] softplus, batch {}, {} steps of Adam (lr 3e-3, cosine); same data, weights and held-out "
      "set; one core's peak FMA rate {:.1f} GFLOP/s (double, {})\n",
      batch, steps, peak, bench::isa_name());
  fmt::print("{:>3} {:<11} {:>7} {:>14} {:>14} {:>7} {:>7} {:>8} {:>14} {:>14}\n", "d", "loss", "threads",
             "wengert samp/s", "torch samp/s", "ratio", "%peak", "ceiling", "wengert Fisher", "torch Fisher");
  for (std::size_t d : {2u, 16u}) {
    score::Dataset truth = d == 2 ? score::ring_of_gaussians() : mixture16();
    Matrix<double> data = truth.sample(20000, 1), held = truth.sample(2000, 2), held_score = truth.score(held);
    nn::Potential phi = nn::mlp({static_cast<Dim>(d), 64, 64, 1}, nn::Activation::softplus, 0.01);
    std::vector<double> theta0 = nn::initial_parameters(phi, 3);
    write_csv(folder + "/data.csv", data);
    write_csv(folder + "/held.csv", held);
    write_csv(folder + "/held_score.csv", held_score);
    {
      std::ofstream out(folder + "/theta0.csv");
      for (double v : theta0) out << fmt::format("{:.17g}\n", v);
    }
    for (const char* loss : {"exact", "hutchinson", "sliced"}) {
      const double flops = product_flops(
          nn::gradient_program(phi, score::loss_tape(phi, {.kind = score::loss_from(loss)})).tape(), batch);
      for (int threads : {1, 2}) {
        score::TrainOptions options;
        options.loss.kind = score::loss_from(loss);
        options.steps = steps;
        options.batch = batch;
        options.learning_rate = 3e-3;
        options.holdout = 0;
        options.eval_every = steps;
        options.threads = threads;
        const auto start = std::chrono::steady_clock::now();
        score::TrainResult r = score::train(phi, theta0, data, options);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        // The final parameters (not the best held-out ones), as PyTorch reports them.
        const double ours = double(steps * batch) / seconds;
        const double fisher = score::fisher_divergence(phi, r.theta, held, truth);
        double theirs = NAN, their_fisher = NAN;
        if (torch) {
          const std::string result = folder + "/torch.txt";
          const std::string cmd = fmt::format(
              "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS={0} /usr/bin/python3 "
              "{1}/bench/peers/torch_train.py "
              "{2} {3} {4} {5} {0} > {6}",
              threads, WENGERT_SOURCE_ROOT, folder, loss, steps, batch, result);
          if (std::system(cmd.c_str()) == 0) std::ifstream(result) >> theirs >> their_fisher;
        }
        // The products' rate against the cores' peak, and the ratio they would allow at that peak.
        const double share = flops * double(steps) / seconds / 1e9 / (peak * threads);
        const std::string ceiling = threads == 1 ? fmt::format("{:.1f}x", ours / theirs / share) : "-";
        fmt::print("{:>3} {:<11} {:>7} {:>14.0f} {:>14.0f} {:>6.1f}x {:>6.1f}% {:>8} {:>14.4f} {:>14.4f}\n", d, loss,
                   threads, ours, theirs, ours / theirs, 100 * share, ceiling, fisher, their_fisher);
      }
    }
  }
  fmt::print(
      "(Fisher divergence E‖s_theta - s_true‖² of the final parameters on 2000 held-out samples; lower is better;\n"
      " %peak: the flops of wengert's matrix products per second against the threads' peak FMA rate; ceiling: the\n"
      " ratio to PyTorch if those products ran at the peak and the rest of a step took no time)\n");
}
