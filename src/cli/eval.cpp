// wengert eval: a model file measured against data, and the metrics that
// train and demo print too.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/plot.hpp"
#include "wengert/error.hpp"
#include "wengert/nn/model_file.hpp"

namespace wengert::cli {

namespace {
constexpr std::uint64_t fresh_seed = 99;  // fresh samples, not the training draw
}

void add_eval_options(CLI::App& cmd, EvalCommand& c) {
  add_text(cmd, "--model", c.model, "the model file");
  add_data_options(cmd, c.data, false);
}

int run_eval(EvalCommand& c) {
  auto [phi, theta] = nn::load_model(c.model);
  check_plain_model(c.model, phi, "evaluate it with wengert sample");
  c.data.seed = fresh_seed;
  const Data data = load_data(c.data);
  check_dimension(c.model, phi, c.data.source, data.x.cols());
  print_metrics(c.model, measure(phi, theta, data.x, data.truth));
  return 0;
}

void check_plain_model(const std::string& path, const nn::Potential& phi, const std::string& instead) {
  if (phi.tape.has_input("t"))
    throw UsageError(
        fmt::format("--model '{}' is a time-conditioned potential ({}), not a plain one; {}", path, phi.kind, instead));
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
}

}  // namespace wengert::cli
