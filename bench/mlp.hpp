// The benchmark networks: MLPs [d, h, h, 1] with tanh, and their weights and
// inputs by closed formulas, so that every contender (this binary, the PyTorch
// and ADOL-C peers in peers/) computes on the very same numbers without files.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <wengert/nn/potential.hpp>
#include <wengert/wengert.hpp>

namespace bench {

// Weight l (1, 2, 3) entry (i, j) of a fan_in x fan_out matrix, and bias entries.
inline double weight(int l, int i, int j, int fan_in) {
  return std::sin(1.3 * i + 0.7 * j + l) / std::sqrt(double(fan_in));
}
inline double bias(int l, int j) { return 0.1 * std::cos(0.9 * j + l); }
inline double x_entry(int r, int j) { return std::cos(0.1 * r + 0.3 * j); }
inline double v_entry(int r, int j) { return std::sin(0.2 * r - 0.5 * j); }

inline wengert::Tape mlp(wengert::Dim d, wengert::Dim h) {
  return wengert::nn::mlp({d, h, h, 1}, wengert::nn::Activation::tanh).tape;
}

template <class T>
struct MlpData {
  wengert::Matrix<T> x, v, w1, b1, w2, b2, w3;
  MlpData(int d, int h, int rows) : x(rows, d), v(rows, d), w1(d, h), b1(1, h), w2(h, h), b2(1, h), w3(h, 1) {
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < d; ++j) {
        x(r, j) = T(x_entry(r, j));
        v(r, j) = T(v_entry(r, j));
      }
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < h; ++j) w1(i, j) = T(weight(1, i, j, d));
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < h; ++j) w2(i, j) = T(weight(2, i, j, h));
    for (int i = 0; i < h; ++i) w3(i, 0) = T(weight(3, i, 0, h));
    for (int j = 0; j < h; ++j) {
      b1(0, j) = T(bias(1, j));
      b2(0, j) = T(bias(2, j));
    }
  }
  void bind(wengert::Program<T>& p) const {
    for (auto [name, m] : {std::pair<const char*, const wengert::Matrix<T>*>{"x", &x},
                           {"x_dot", &v},
                           {"W1", &w1},
                           {"b1", &b1},
                           {"W2", &w2},
                           {"b2", &b2},
                           {"W3", &w3}})
      if (p.tape().has_input(name)) p.set(name, m->view());
  }
};

/// Multiply-adds of one forward pass per sample, times two: the flop count.
inline double forward_flops(int d, int h) { return 2.0 * (double(d) * h + double(h) * h + h); }

/// The forward Laplacian's flops per sample: d + 2 forward passes, less the d
/// first-layer products of the seeds e_k, which are rows of W1 (no product).
inline double laplacian_flops(int d, int h) { return (d + 2.0) * forward_flops(d, h) - 2.0 * d * double(d) * h; }

}  // namespace bench
