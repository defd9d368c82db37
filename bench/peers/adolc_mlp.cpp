// ADOL-C on the benchmark networks of bench/mlp.hpp: one tape per network (one
// sample, as ADOL-C tapes scalars), then hess_vec per sample. Built and run by
// compare.py when libadolc-dev is installed; prints one JSON line per figure.
#include <adolc/adolc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "bench/mlp.hpp"

namespace {

void record(short tag, int d, int h) {
  std::vector<adouble> x(d), z1(h), z2(h);
  std::vector<double> x0(d, 0.1);
  trace_on(tag);
  for (int j = 0; j < d; ++j) x[j] <<= x0[j];
  for (int j = 0; j < h; ++j) {
    adouble s = bench::bias(1, j);
    for (int i = 0; i < d; ++i) s += x[i] * bench::weight(1, i, j, d);
    z1[j] = tanh(s);
  }
  for (int j = 0; j < h; ++j) {
    adouble s = bench::bias(2, j);
    for (int i = 0; i < h; ++i) s += z1[i] * bench::weight(2, i, j, h);
    z2[j] = tanh(s);
  }
  adouble phi = 0;
  for (int i = 0; i < h; ++i) phi += z2[i] * bench::weight(3, i, 0, h);
  double out;
  phi >>= out;
  trace_off();
}

template <class F>
double median_seconds(F&& f, int rows) {
  f();
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    int n = 0;
    auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      f();
      ++n;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < 0.06);
    runs.push_back(elapsed / n / rows);
  }
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

}  // namespace

int main() {
  const int sizes[][2] = {{2, 64}, {16, 64}, {64, 128}};
  short tag = 1;
  for (auto [d, h] : sizes) {
    record(tag, d, h);
    for (int rows : {1, 1024}) {
      std::vector<double> x(rows * d), v(rows * d), out(rows * d), y(rows);
      for (int r = 0; r < rows; ++r)
        for (int j = 0; j < d; ++j) x[r * d + j] = bench::x_entry(r, j), v[r * d + j] = bench::v_entry(r, j);
      double s_phi = 0, s_grad = 0, s_hvp = 0;
      for (int r = 0; r < rows; ++r) {
        function(tag, 1, d, &x[r * d], &y[r]);
        s_phi += std::abs(y[r]);
        gradient(tag, d, &x[r * d], &out[r * d]);
        for (int j = 0; j < d; ++j) s_grad += std::abs(out[r * d + j]);
        hess_vec(tag, d, &x[r * d], &v[r * d], &out[r * d]);
        for (int j = 0; j < d; ++j) s_hvp += std::abs(out[r * d + j]);
      }
      std::printf(
          "{\"peer\": \"adolc\", \"checksum\": [%d, %d, %d], \"phi\": %.17g, \"grad\": %.17g, \"hvp\": %.17g}\n", d, h,
          rows, s_phi, s_grad, s_hvp);
      auto report = [&](const char* quantity, double seconds) {
        std::printf(
            "{\"peer\": \"adolc\", \"type\": \"double\", \"d\": %d, \"h\": %d, \"batch\": %d, \"quantity\": \"%s\", "
            "\"us_per_sample\": %.6g}\n",
            d, h, rows, quantity, 1e6 * seconds);
        std::fflush(stdout);
      };
      report("forward", median_seconds(
                            [&] {
                              for (int r = 0; r < rows; ++r) function(tag, 1, d, &x[r * d], &y[r]);
                            },
                            rows));
      report("gradient", median_seconds(
                             [&] {
                               for (int r = 0; r < rows; ++r) gradient(tag, d, &x[r * d], &out[r * d]);
                             },
                             rows));
      report("hvp (hess_vec)", median_seconds(
                                   [&] {
                                     for (int r = 0; r < rows; ++r) hess_vec(tag, d, &x[r * d], &v[r * d], &out[r * d]);
                                   },
                                   rows));
      if (rows == 1 || d <= 16) {  // the dense Hessian route to the Laplacian; at d = 64 and 1024 rows it takes minutes
        std::vector<double*> H(d);
        std::vector<double> storage(d * d);
        for (int i = 0; i < d; ++i) H[i] = &storage[i * d];
        report("laplacian (hessian)", median_seconds(
                                          [&] {
                                            for (int r = 0; r < rows; ++r) hessian(tag, d, &x[r * d], H.data());
                                          },
                                          rows));
      }
    }
    ++tag;
  }
}
