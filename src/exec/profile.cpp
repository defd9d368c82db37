// Where a program's time goes: its steps in plan order (before the chunks, per
// chunk, after them), each with the time it took per run and its share.
#include <fmt/format.h>

#include "exec/plan.hpp"

namespace wengert::detail {

namespace {

std::string fused_group_text(const Plan& plan, std::size_t group, const char* when) {
  const Group& g = plan.groups[group];
  std::size_t kept = 0, sums = 0, row_sums = 0;
  for (const GroupStep& s : g.steps) kept += g.slots[s.y].scratch ? 0 : 1;
  for (std::size_t k = 1; k < g.steps.size(); ++k) {
    const GroupSlot& y = g.slots[g.steps[k].y];
    sums += y.sum ? 1 : 0;
    row_sums += plan.tape.node(y.node).op == Op::sum_cols ? 1 : 0;
  }
  const std::string others = (row_sums == 0 ? std::string() : fmt::format(", {} row sums", row_sums)) +
                             (sums == 0 ? std::string() : fmt::format(" and {} sums over the batch", sums));
  return fmt::format("{}, fused with the next {} element-wise steps{}, {} rows at a time ({} of {} results kept)", when,
                     g.steps.size() - 1 - sums - row_sums, others, g.block_rows, kept, g.steps.size());
}

}  // namespace

std::string profile_text(const Plan& plan, const std::vector<double>& seconds, std::size_t runs) {
  double total = 0;
  for (double s : seconds) total += s;
  const double per_run = runs > 0 ? 1.0 / double(runs) : 0.0;
  std::string out =
      fmt::format("profile: {} steps, {} runs, {:.2f} us per run in the steps\n",
                  fused_step_count(plan.before_group_end) + fused_step_count(plan.group_end) + plan.after.size(), runs,
                  1e6 * total * per_run);
  out += fmt::format("  {:>6}  {:>10}  {:>5}  {:<15} {:<10} {}\n", "share", "us/run", "node", "op", "shape", "where");
  auto line = [&](NodeId id, const char* where) {
    const Node& node = plan.tape.node(id);
    const double s = seconds[std::size_t(id)];
    out += fmt::format("  {:>5.1f}%  {:>10.3f}  %{:<4}  {:<15} {:<10} {}\n", total > 0 ? 100 * s / total : 0.0,
                       1e6 * s * per_run, id, op_name(node.op), to_string(node.shape), where);
  };
  for (std::size_t s = 0; s < plan.before.size(); s = plan.before_group_end[s]) {
    const char* when = "once, before the chunks";
    const bool fused = plan.before_group_end[s] > s + 1;
    line(plan.before[s], fused ? fused_group_text(plan, plan.before_group_of[s], when).c_str() : when);
  }
  for (std::size_t s = 0; s < plan.chunk.size(); s = plan.group_end[s]) {
    const NodeId id = plan.chunk[s];
    if (plan.group_end[s] > s + 1) {
      line(id, fused_group_text(plan, plan.group_of[s], "per chunk").c_str());
      continue;
    }
    const NodeId row = plan.bias_row[std::size_t(id)];
    const std::string bias = row == no_node ? "" : fmt::format(", adding the bias row %{} as it stores", row);
    line(id, fmt::format("per chunk{}{}", plan.paired[s] ? " (at one row with the next)" : "", bias).c_str());
  }
  for (NodeId id : plan.after) line(id, "once, after the chunks");
  return out;
}

}  // namespace wengert::detail
