// wengert eval: a model file measured against data, and the metrics that
// train and demo print too.
#include <algorithm>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/plot.hpp"
#include "wengert/diffusion/likelihood.hpp"
#include "wengert/error.hpp"
#include "wengert/nn/model_file.hpp"
#include "wengert/score/gaussian.hpp"

namespace wengert::cli {

namespace {

constexpr std::uint64_t fresh_seed = 99;  // fresh samples, not the training draw

// The mean of n values and its standard error.
std::pair<double, double> mean_and_error(const double* v, std::size_t n) {
  double mean = 0, spread = 0;
  for (std::size_t i = 0; i < n; ++i) mean += v[i] / double(n);
  for (std::size_t i = 0; i < n; ++i) spread += (v[i] - mean) * (v[i] - mean);
  return {mean, n > 1 ? std::sqrt(spread / double(n - 1) / double(n)) : NAN};
}
std::pair<double, double> mean_and_error(const std::vector<double>& v) { return mean_and_error(v.data(), v.size()); }

void print_likelihood(const EvalCommand& c, const nn::Potential& phi, const std::vector<double>& theta,
                      const Data& data);

}  // namespace

void add_eval_options(CLI::App& cmd, EvalCommand& c) {
  add_text(cmd, "--model", c.model, "the model file");
  add_data_options(cmd, c.data, false);
  add_count(cmd, "--likelihood-rows", c.likelihood_rows, 1, 100'000'000,
            "time-conditioned model: rows whose log-likelihood is computed");
  add_count(cmd, "--ode-steps", c.ode_steps, 1, 1'000'000,
            "time-conditioned model: Runge-Kutta steps along the probability-flow ODE");
  add_count(cmd, "--probes", c.probes, 0, 1'000'000,
            "time-conditioned model: Hutchinson probes for the estimate beside the exact likelihood");
  add_int(cmd, "--threads", c.threads, 1, 256, "time-conditioned model: threads for the likelihood");
}

int run_eval(EvalCommand& c) {
  auto [phi, theta] = nn::load_model(c.model);
  c.data.seed = fresh_seed;
  const Data data = load_data(c.data);
  check_dimension(c.model, phi, c.data.source, data.x.cols());
  if (phi.tape.has_input("t")) {
    print_likelihood(c, phi, theta, data);
    return 0;
  }
  const Metrics m = measure(phi, theta, data.x, data.truth, c.communicator);  // rows and grid cells shared
  if (c.communicator && c.communicator->rank() > 0) return 0;
  print_metrics(c.model, m);
  if (phi.kind == "quadratic") print_gaussian(phi, theta, data.x);
  return 0;
}

namespace {

void print_likelihood(const EvalCommand& c, const nn::Potential& phi, const std::vector<double>& theta,
                      const Data& data) {
  // Up to the highest level the model was trained at (an edm_mlp's data scale says where that was):
  // beyond it the network's values are not learned, and the likelihood would integrate them.
  const double top = phi.sigma_data > 0 ? highest_noise * phi.sigma_data : 80;
  const diffusion::LikelihoodOptions options{.steps = c.ode_steps,
                                             .sigma_min = lowest_noise,
                                             .sigma_max = top,
                                             .data_scale = phi.sigma_data,
                                             .probes = c.probes,
                                             .seed = fresh_seed,
                                             .threads = c.threads,
                                             .communicator = c.communicator};
  const std::size_t rows = std::min(c.likelihood_rows, data.x.rows());
  Matrix<double> x(rows, data.x.cols());
  std::copy_n(data.x.data(), x.rows() * x.cols(), x.data());
  const diffusion::Likelihood l = diffusion::log_likelihood(phi, theta, x, options);
  const auto [mean, error] = mean_and_error(l.log_density);
  fmt::print(
      "mean log-likelihood of {} rows (probability-flow ODE from sigma {} to {:.3g}, {} Runge-Kutta steps, "
      "exact divergence): {:.4f} +- {:.4f}\n",
      rows, lowest_noise, top, c.ode_steps, mean, error);
  if (data.truth && data.truth->log_density) {
    const auto [ideal, ideal_error] = mean_and_error(data.truth->log_density(x).data(), rows);
    fmt::print("  the data's exact log-density on the same rows: {:.4f} +- {:.4f}\n", ideal, ideal_error);
  }
  if (c.probes > 0) {
    std::vector<double> difference(rows);
    double variance = 0;
    for (std::size_t i = 0; i < rows; ++i) {
      difference[i] = l.hutchinson[i] - l.log_density[i];
      variance += l.hutchinson_error[i] * l.hutchinson_error[i] / double(rows * rows);
    }
    fmt::print(
        "  Hutchinson's estimate with {} probes on the same path: mean {:.4f}, its difference from the exact "
        "{:+.4f} (standard error {:.4f})\n",
        c.probes, mean_and_error(l.hutchinson).first, mean_and_error(difference).first, std::sqrt(variance));
  }
  if (!data.truth || phi.dim() != 2) return;
  const double lo = -grid_extent, hi = grid_extent, cell = std::pow((hi - lo) / double(grid_cells), 2);
  double mass = 0;
  const Matrix<double> q = diffusion::likelihood_grid(phi, theta, lo, hi, grid_cells, options, &mass);
  const Matrix<double> p = score::reference_grid(*data.truth, lo, hi, grid_cells);
  fmt::print("density grid {}² by the ODE likelihood: mass {:.4f} on [{}, {}]², TV {:.4f}, KL {:.4f}\n", grid_cells,
             mass, lo, hi, score::total_variation(p, q, cell), score::kl_divergence(p, q, cell));
  if (data.truth->region) print_masses("", score::grid_region_masses(*data.truth, q, lo, hi), data.truth->region_mass);
}

}  // namespace

void print_gaussian(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& data) {
  const score::Moments model = score::quadratic_moments(phi, theta);
  auto row = [&](std::size_t a) {
    return fmt::format("{:.6g}", fmt::join(model.covariance.data() + a * model.mean.size(),
                                           model.covariance.data() + (a + 1) * model.mean.size(), " "));
  };
  fmt::print("the Gaussian exp(-phi): mean {:.6g}\n", fmt::join(model.mean, " "));
  for (std::size_t a = 0; a < model.mean.size(); ++a) fmt::print("  covariance row {}: {}\n", a + 1, row(a));
  if (data.rows() == 0) return;
  const score::MomentGap gap = score::moment_gap(model, score::sample_moments(data));
  fmt::print("largest difference from the data's sample moments (the exact optimum): mean {:.2e}, covariance {:.2e}\n",
             gap.mean, gap.covariance);
}

void check_plain_model(const std::string& path, const nn::Potential& phi, const std::string& instead) {
  if (phi.tape.has_input("t"))
    throw UsageError(
        fmt::format("--model '{}' is a time-conditioned potential ({}), not a plain one; {}", path, phi.kind, instead));
}

Metrics measure(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& held,
                const std::optional<score::Dataset>& truth, nn::Communicator* ranks) {
  Metrics m;
  nn::Communicator& comm = ranks ? *ranks : nn::single_process();
  // The rows shared by the ranks: each rank's means, weighted by its rows, summed (equal to one process's to rounding).
  const nn::RowShare share = nn::share_rows(held.rows(), comm);
  const Matrix<double> mine_copied = comm.size() > 1 ? nn::rows_of(held, share) : Matrix<double>();
  const Matrix<double>& mine = comm.size() > 1 ? mine_copied : held;  // one process: all of them, not copied
  double means[2] = {0, 0};                                           // the held-out loss and the Fisher divergence
  const double weight = double(share.size()) / double(held.rows());
  if (share.size() > 0) {
    means[0] = weight * score::evaluate_loss(phi, theta, mine, {});
    if (truth && truth->score) means[1] = weight * score::fisher_divergence(phi, theta, mine, *truth);
  }
  comm.sum(means);
  m.holdout_loss = means[0];
  if (truth && truth->score) m.fisher = means[1];
  if (truth && phi.dim() == 2) {
    const double lo = -grid_extent, hi = grid_extent, cell = std::pow((hi - lo) / double(grid_cells), 2);
    const Matrix<double> p = score::reference_grid(*truth, lo, hi, grid_cells);
    const Matrix<double> q = score::density_grid(phi, theta, lo, hi, grid_cells, &comm);
    m.tv = score::total_variation(p, q, cell);
    m.kl = score::kl_divergence(p, q, cell);
    if (truth->region) {
      m.masses = score::grid_region_masses(*truth, q, lo, hi);
      m.true_masses = truth->region_mass;
    }
  }
  // A model whose numbers are not finite (a corrupt or crafted file, a diverged training) is refused, not printed.
  const bool with_fisher = truth && truth->score, with_grid = truth && phi.dim() == 2;
  if (!std::isfinite(m.holdout_loss) || (with_fisher && !std::isfinite(m.fisher)) ||
      (with_grid && !(std::isfinite(m.tv) && std::isfinite(m.kl))))
    throw NonFiniteError("the model gives non-finite values on the data (held-out loss " +
                         fmt::format("{}", m.holdout_loss) + "); its parameters may be corrupt or diverged");
  return m;
}

void print_metrics(const std::string& label, const Metrics& m) {
  auto shown = [](double v) {  // n/a: no true score, or no grid
    return std::isnan(v) ? std::string("n/a") : fmt::format("{:.4f}", v);
  };
  fmt::print("{:<18} held-out loss {:>+9.4f}   Fisher divergence {:>8}   TV {:>7}   KL {:>7}\n", label, m.holdout_loss,
             shown(m.fisher), shown(m.tv), shown(m.kl));
  if (!m.masses.empty()) print_masses("", m.masses, m.true_masses);
}

void print_masses(const std::string& label, const std::vector<double>& masses, const std::vector<double>& truth) {
  const auto [true_low, true_high] = std::minmax_element(truth.begin(), truth.end());
  std::string shown;
  for (double m : masses) shown += fmt::format(" {:.3f}", m);
  fmt::print(
      "{:<18} mass per region{} (true {})\n", label, shown,
      *true_low == *true_high ? fmt::format("{:.3f} each", *true_low) : fmt::format("{}", fmt::join(truth, " ")));
}

}  // namespace wengert::cli
