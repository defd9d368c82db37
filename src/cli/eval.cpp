// wengert eval: a model file measured against data, and the metrics that
// train and demo print too.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/plot.hpp"
#include "wengert/nn/model_file.hpp"

namespace wengert::cli {

namespace {
constexpr std::uint64_t fresh_seed = 99;  // fresh samples, not the training draw
}

void add_eval_options(CLI::App& cmd, EvalCommand& c) {
  cmd.add_option("--model", c.model, "the model file");
  cmd.add_option("--data", c.data.source, "built-in data set or CSV file");
  cmd.add_option("--samples", c.data.samples, "samples drawn from a built-in set");
}

int run_eval(EvalCommand& c) {
  auto [phi, theta] = nn::load_model(c.model);
  c.data.seed = fresh_seed;
  const Data data = load_data(c.data);
  print_metrics(c.model, measure(phi, theta, data.x, data.truth));
  return 0;
}

Metrics measure(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& held,
                const std::optional<score::Dataset>& truth) {
  Metrics m;
  m.holdout_loss = score::evaluate_loss(phi, theta, held, {});
  if (truth && truth->score) m.fisher = score::fisher_divergence(phi, theta, held, *truth);
  if (truth && phi.dim() == 2) {
    const double lo = -grid_extent, hi = grid_extent, cell = std::pow((hi - lo) / double(grid_cells), 2);
    const Matrix<double> p = score::reference_grid(*truth, lo, hi, grid_cells);
    const Matrix<double> q = score::density_grid(phi, theta, lo, hi, grid_cells);
    m.tv = score::total_variation(p, q, cell);
    m.kl = score::kl_divergence(p, q, cell);
  }
  return m;
}

void print_metrics(const std::string& label, const Metrics& m) {
  auto shown = [](double v) {  // n/a: no true score, or no grid
    return std::isnan(v) ? std::string("n/a") : fmt::format("{:.4f}", v);
  };
  fmt::print("{:<18} held-out loss {:>+9.4f}   Fisher divergence {:>8}   TV {:>7}   KL {:>7}\n", label, m.holdout_loss,
             shown(m.fisher), shown(m.tv), shown(m.kl));
}

}  // namespace wengert::cli
