// How many products does each trace estimator need? For three spectra and two
// MLP Hessians: the smallest product count (on a doubling grid) at which the
// median relative error over 21 seeded trials falls below 1% and 0.1%. Then the
// cost of one batched Laplacian estimate against the exact Laplacian as d grows,
// and what the score-matching loss `auto` chooses from such measurements.
//
//   build/bench/estimators
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <fmt/format.h>
#include <wengert/error.hpp>
#include <wengert/estimators/trace.hpp>
#include <wengert/nn/potential.hpp>
#include <wengert/score/loss_policy.hpp>
#include <wengert/wengert.hpp>

#include "machine.hpp"

namespace {

using wengert::Matrix;

using Estimator =
    std::function<wengert::estimators::TraceEstimate(wengert::estimators::LinearOperator&, std::size_t, std::uint64_t)>;

// The smallest m on the grid 4, 8, 16, ... (up to n) with median relative error below target; 0 if none.
std::size_t products_needed(wengert::estimators::LinearOperator& op, double trace, const Estimator& estimate,
                            double target) {
  for (std::size_t m = 4; m <= 4096; m *= 2) {
    std::vector<double> errors;
    for (std::uint64_t t = 0; t < 21; ++t)
      errors.push_back(std::abs(estimate(op, m, 1000 + t).value - trace) / std::abs(trace));
    std::nth_element(errors.begin(), errors.begin() + 10, errors.end());
    if (errors[10] < target) return m;
  }
  return 0;
}

wengert::Tape mlp(wengert::Dim d, wengert::Dim h) {
  return wengert::nn::mlp({d, h, h, 1}, wengert::nn::Activation::tanh).tape;
}

struct MlpPoint {
  std::vector<Matrix<double>> values;
  wengert::Inputs<double> inputs;
  MlpPoint(wengert::Dim d, wengert::Dim h, std::size_t rows, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    const std::pair<const char*, std::pair<std::size_t, std::size_t>> shapes[] = {
        {"x", {rows, d}}, {"W1", {d, h}}, {"b1", {1, h}}, {"W2", {h, h}}, {"b2", {1, h}}, {"W3", {h, 1}}};
    values.reserve(6);
    for (auto [name, shape] : shapes) {
      Matrix<double> m(shape.first, shape.second);
      const double scale = name[0] == 'W' ? 1.5 / std::sqrt(double(shape.first)) : 1.0;
      for (std::size_t i = 0; i < m.rows() * m.cols(); ++i) m.data()[i] = scale * normal(rng);
      values.push_back(std::move(m));
      inputs.emplace_back(name, values.back().view());
    }
  }
};

template <class F>
double median_seconds(F&& f) {
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    auto start = std::chrono::steady_clock::now();
    f();
    runs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

}  // namespace

int main() {
  bench::print_machine();
  const Estimator gaussian = [](auto& op, std::size_t m, std::uint64_t s) {
    return wengert::estimators::hutchinson(op, wengert::estimators::Probe::gaussian, m, s);
  };
  const Estimator rademacher = [](auto& op, std::size_t m, std::uint64_t s) {
    return wengert::estimators::hutchinson(op, wengert::estimators::Probe::rademacher, m, s);
  };
  const Estimator hutchpp = [](auto& op, std::size_t m, std::uint64_t s) {
    return wengert::estimators::hutch_plus_plus(op, m, s);
  };
  const Estimator xtrace = [](auto& op, std::size_t m, std::uint64_t s) {
    return wengert::estimators::xtrace(op, m, s);
  };
  const Estimator xnystrace = [](auto& op, std::size_t m, std::uint64_t s) {
    return wengert::estimators::xnystrace(op, m, s);
  };

  fmt::print("products for a median relative error below 1% / 0.1% (21 trials; '-' = more than 4096)\n");
  fmt::print("{:<34} {:>6} {:>16} {:>16} {:>16} {:>16} {:>16}\n", "operator", "n", "Hutchinson N(0,1)", "Hutchinson ±1",
             "Hutch++", "XTrace", "XNysTrace");
  auto row = [&](const std::string& name, wengert::estimators::LinearOperator& op, double trace) {
    std::string cells[5];
    const Estimator* estimators[5] = {&gaussian, &rademacher, &hutchpp, &xtrace, &xnystrace};
    for (int e = 0; e < 5; ++e) {
      try {
        auto one = products_needed(op, trace, *estimators[e], 1e-2),
             tenth = products_needed(op, trace, *estimators[e], 1e-3);
        auto text = [](std::size_t m) { return m ? std::to_string(m) : std::string("-"); };
        cells[e] = text(one) + " / " + text(tenth);
      } catch (const wengert::UsageError&) {  // XNysTrace on an indefinite operator
        cells[e] = "indefinite";
      }
    }
    fmt::print("{:<34} {:>6} {:>16} {:>16} {:>16} {:>16} {:>16}\n", name, op.size(), cells[0], cells[1], cells[2],
               cells[3], cells[4]);
  };
  const std::size_t n = 200;
  std::vector<double> flat(n), poly(n), expo(n);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> uniform(0.5, 1.5);
  for (std::size_t k = 0; k < n; ++k) {
    flat[k] = uniform(rng);
    poly[k] = 1.0 / double((k + 1) * (k + 1));
    expo[k] = std::exp(-double(k) / 10);
  }
  for (auto [name, spectrum] :
       {std::pair{"flat spectrum (uniform in [0.5, 1.5])", &flat}, std::pair{"polynomial decay k^-2", &poly},
        std::pair{"exponential decay e^(-k/10)", &expo}}) {
    wengert::estimators::DenseOperator op(wengert::estimators::matrix_with_spectrum(*spectrum, 2));
    double trace = 0;
    for (double l : *spectrum) trace += l;
    row(name, op, trace);
  }
  for (wengert::Dim d : {16, 64}) {
    MlpPoint point(d, 64, 1, 3);
    wengert::estimators::HessianOperator op(mlp(d, 64), "x", point.inputs);
    row(fmt::format("MLP [{}, 64, 64, 1] Hessian", d), op, wengert::estimators::exact_trace(op).value);
  }

  fmt::print("\nLaplacian of a batch of 256 samples, MLP [d, 64, 64, 1]: time per batch\n");
  fmt::print("{:>5} {:>12} {:>18} {:>18} {:>10}\n", "d", "exact", "Hutchinson m=4", "Hutchinson m=16", "exact/m=4");
  for (wengert::Dim d : {4, 16, 64, 256}) {
    MlpPoint point(d, 64, 256, 4);
    wengert::estimators::HessianBatch batch(mlp(d, 64), "x");
    const double exact = median_seconds([&] { batch.exact(point.inputs); });
    const double m4 =
        median_seconds([&] { batch.hutchinson(point.inputs, wengert::estimators::Probe::rademacher, 4, 1); });
    const double m16 =
        median_seconds([&] { batch.hutchinson(point.inputs, wengert::estimators::Probe::rademacher, 16, 1); });
    fmt::print("{:>5} {:>10.2f}ms {:>16.2f}ms {:>16.2f}ms {:>9.1f}x\n", d, 1e3 * exact, 1e3 * m4, 1e3 * m16,
               exact / m4);
  }

  fmt::print("\nThe loss auto, MLP [d, 64, 64, 1] tanh at initialisation, x ~ N(0, I), batch 256, probe noise 0.1\n");
  fmt::print("{:>5} {:>14} {:>14} {:>10} {:>10} {:>14}  {}\n", "d", "exact step", "probe step", "Var_x", "Var_z",
             "probes needed", "choice");
  for (wengert::Dim d : {2, 16, 64, 256}) {
    const wengert::nn::Potential phi = wengert::nn::mlp({d, 64, 64, 1}, wengert::nn::Activation::tanh);
    const Matrix<double> pilot =
        wengert::estimators::make_probes(wengert::estimators::Probe::gaussian, 256, static_cast<std::size_t>(d), 5);
    const wengert::score::LossChoice c =
        wengert::score::choose_loss(phi, wengert::nn::initial_parameters(phi, 1), pilot, {.batch = 256});
    fmt::print("{:>5} {:>12.2f}ms {:>12.2f}ms {:>10.3g} {:>10.3g} {:>14}  {}\n", d, 1e3 * c.measured.exact_seconds,
               1e3 * c.measured.probe_seconds, c.measured.sampling_variance, c.measured.probe_variance, c.probes_needed,
               c.loss.kind == wengert::score::Loss::exact ? std::string("exact")
                                                          : fmt::format("hutchinson, {} probes", c.loss.probes));
  }
}
