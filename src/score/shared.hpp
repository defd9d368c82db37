// Small numerical helpers the data sets share.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace wengert::score::detail {

/// log Σ_k exp(a_k) without overflow; -inf for no terms or all -inf.
inline double log_sum_exp(const std::vector<double>& a) {
  double m = -INFINITY;
  for (double v : a) m = std::max(m, v);
  if (!std::isfinite(m)) return m;
  double s = 0;
  for (double v : a) s += std::exp(v - m);
  return m + std::log(s);
}

}  // namespace wengert::score::detail
