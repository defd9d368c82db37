// The engine's benchmark: forward pass, gradient, HVP and exact Laplacian of
// MLPs [d, h, h, 1] with tanh, per sample, at batch 1 and 1024, float64 and
// float32, one and two threads; then the ratios that matter, HVP / forward and
// the share of the machine's peak FMA rate (measured here, by this binary).
// Each benchmark runs three times, the repetitions of all of them interleaved
// in random order (each warmed first), and the summary takes the best of the
// three: on a shared machine a burst of another tenant's work then slows one
// repetition of a few benchmarks, not the figures on one side of a ratio.
// (peers/compare.py sets the medians beside the peers' medians.)
//
//   build/bench/engine                      # all of it, a few minutes
//   build/bench/engine --benchmark_filter=hvp/d=2/
//   build/bench/engine --checksum           # the numbers the peers compare
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>
#include <fmt/format.h>

#include "bench/mlp.hpp"
#include "bench/peak.hpp"
#include "wengert/simd.hpp"
#include "wengert/version.hpp"

namespace {

// One core's peak FMA rate, as Google Benchmark's counter.
template <class T>
void peak_fma(benchmark::State& state) {
  const long inner = 1 << 12;
  T sink = 0;
  double flops = 0;
  for (auto _ : state) flops += bench::fma_chains<T>(inner, sink);
  benchmark::DoNotOptimize(sink);
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
  state.counters["flop/run"] = flops / static_cast<double>(state.iterations());
}

const int sizes[][2] = {{2, 64}, {16, 64}, {64, 128}};
constexpr std::chrono::milliseconds warm_up{50};

enum class Quantity { forward, gradient, hvp, laplacian };
const char* quantity_name(Quantity q) {
  switch (q) {
    case Quantity::forward: return "forward";
    case Quantity::gradient: return "gradient";
    case Quantity::hvp: return "hvp";
    case Quantity::laplacian: return "laplacian";
  }
  return "?";
}

template <class T>
void run_quantity(benchmark::State& state, Quantity q, int d, int h, int rows, int threads) {
  const wengert::Tape f = bench::mlp(d, h);
  wengert::ProgramOptions options{.threads = threads};
  bench::MlpData<T> data(d, h, rows);
  // The Laplacian is the forward Laplacian (one sweep carrying d tangents), not d HVPs.
  wengert::Tape t = q == Quantity::forward    ? f
                    : q == Quantity::gradient ? wengert::grad(f, {"x"})
                    : q == Quantity::hvp      ? wengert::hvp(f, "x")
                                              : wengert::laplacian(f, "x");
  const char* out = q == Quantity::forward    ? "phi"
                    : q == Quantity::gradient ? "x_bar"
                    : q == Quantity::hvp      ? "x_bar_dot"
                                              : "x_laplacian";
  wengert::Program<T> p(t, {out}, options);
  data.bind(p);
  // Warm: the repetitions interleave with other benchmarks, which leave the caches and predictors cold.
  for (const auto start = std::chrono::steady_clock::now(); std::chrono::steady_clock::now() - start < warm_up;) p.run();
  for (auto _ : state) {
    p.run();
    benchmark::DoNotOptimize(p.get(out).data);
  }
  state.SetItemsProcessed(state.iterations() * rows);
  const double passes = q == Quantity::forward ? 1 : q == Quantity::gradient ? 3 : 4;
  const double flops = q == Quantity::laplacian ? bench::laplacian_flops(d, h) : passes * bench::forward_flops(d, h);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * rows * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["flop/run"] = flops * rows;
}

// Collects each benchmark's best time per iteration for the summary: the
// aggregate "min" of its repetitions (a single run's time without them), and
// its rate from that time and its work per run (an aggregate of a rate would be
// the rate's own minimum, the slowest repetition).
class Collector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> ns;  // name -> best ns per iteration
  std::map<std::string, double> gflops;
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "min") continue;
      const std::string name = r.run_name.function_name;
      ns[name] = r.GetAdjustedRealTime();
      if (auto it = r.counters.find("flop/run"); it != r.counters.end()) gflops[name] = it->second / ns[name];
    }
  }
};

// A benchmark whose repetitions' aggregates include their best, "min".
template <class F>
void add_benchmark(const std::string& name, F run) {
  benchmark::RegisterBenchmark(name.c_str(), run)->ComputeStatistics("min", [](const std::vector<double>& times) {
    return *std::min_element(times.begin(), times.end());
  });
}

// Three repetitions, interleaved, only their aggregates printed, unless the command line says otherwise.
std::vector<char*> with_default_repetitions(int argc, char** argv) {
  static const char* defaults[] = {"--benchmark_repetitions=3", "--benchmark_enable_random_interleaving=true",
                                   "--benchmark_display_aggregates_only=true"};
  std::vector<char*> args(argv, argv + argc);
  for (const char* flag : defaults) {
    const std::string name(flag, std::strchr(flag, '=') + 1);
    auto sets_it = [&](const char* arg) { return std::strncmp(arg, name.c_str(), name.size() - 1) == 0; };
    if (std::none_of(argv + 1, argv + argc, sets_it)) args.push_back(const_cast<char*>(flag));
  }
  return args;
}

std::string key(const char* type, Quantity q, int d, int h, int rows, int threads) {
  return fmt::format("{}/{}/d={}/h={}/batch={}/threads={}", quantity_name(q), type, d, h, rows, threads);
}

template <class T>
void print_checksum(int d, int h, int rows) {
  const wengert::Tape t = wengert::hvp(bench::mlp(d, h), "x");
  bench::MlpData<T> data(d, h, rows);
  wengert::Program<T> p(t, {"phi", "x_bar", "x_bar_dot"});
  data.bind(p);
  p.run();
  double s[3] = {0, 0, 0};
  const char* names[3] = {"phi", "x_bar", "x_bar_dot"};
  for (int k = 0; k < 3; ++k) {
    auto m = p.get(names[k]);
    for (std::size_t i = 0; i < m.rows * m.cols; ++i) s[k] += std::abs(double(m.data[i]));  // Σ|e|: no cancellation
  }
  fmt::print("checksum d={} h={} batch={}: phi {:.12e} grad {:.12e} hvp {:.12e}\n", d, h, rows, s[0], s[1], s[2]);
}

// Where the time of a batch-1024 HVP at (16, 64) goes, step by step (ProgramOptions::profile).
void print_profile() {
  constexpr int d = 16, h = 64, rows = 1024, runs = 200;
  wengert::Program<double> p(wengert::hvp(bench::mlp(d, h), "x"), {"x_bar_dot"}, {.profile = true});
  const bench::MlpData<double> data(d, h, rows);
  data.bind(p);
  for (int r = 0; r < runs; ++r) p.run();
  fmt::print("\nthe HVP, double, d = {}, h = {}, batch {}, one thread: {}\n{}", d, h, rows, p.describe(), p.profile());
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--checksum") == 0) {
      for (auto [d, h] : sizes)
        for (int rows : {1, 1024}) print_checksum<double>(d, h, rows);
      return 0;
    }
  std::vector<char*> args = with_default_repetitions(argc, argv);
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  add_benchmark("peak_fma/double", peak_fma<double>);
  add_benchmark("peak_fma/float", peak_fma<float>);
  for (auto [d, h] : sizes)
    for (int rows : {1, 1024})
      for (int threads : {1, 2})
        for (Quantity q : {Quantity::forward, Quantity::gradient, Quantity::hvp, Quantity::laplacian}) {
          if (threads == 2 && rows == 1) continue;  // one sample is one chunk: nothing to share
          add_benchmark(key("double", q, d, h, rows, threads),
                        [=](benchmark::State& s) { run_quantity<double>(s, q, d, h, rows, threads); });
          add_benchmark(key("float", q, d, h, rows, threads),
                        [=](benchmark::State& s) { run_quantity<float>(s, q, d, h, rows, threads); });
        }
  fmt::print(
      "machine: {} ({})\nkernels: {} (wengert {}); peak FMA measured with {}; compiler: {}; build: {}; hardware "
      "threads: {}\n",
      bench::cpu_name(), bench::cpu_isa(), wengert::simd_target(), wengert::version(), bench::isa_name(), __VERSION__,
      bench::build_type(), std::thread::hardware_concurrency());
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);

  // The summary: ratios measured side by side in this run.
  auto peak = [&](const char* type) { return collector.gflops[fmt::format("peak_fma/{}", type)]; };
  fmt::print("\n{:<8} {:>4} {:>4} {:>6}  {:>10} {:>10} {:>10} {:>11}  {:>9} {:>8} {:>10} {:>11}\n", "type", "d", "h",
             "batch", "fwd us/s", "grad us/s", "hvp us/s", "lapl us/s", "hvp/fwd", "%peak", "2thr/1thr", "lapl %peak");
  for (const char* type : {"double", "float"})
    for (auto [d, h] : sizes)
      for (int rows : {1, 1024}) {
        auto t = [&](Quantity q, int threads = 1) { return collector.ns[key(type, q, d, h, rows, threads)]; };
        if (t(Quantity::forward) == 0) continue;  // filtered out
        const double per = 1e-3 / rows;           // ns per run -> us per sample
        const double hvp_gflops = collector.gflops[key(type, Quantity::hvp, d, h, rows, 1)];
        const double lapl_gflops = collector.gflops[key(type, Quantity::laplacian, d, h, rows, 1)];
        const double two = rows > 1 && t(Quantity::hvp, 2) > 0 ? t(Quantity::hvp) / t(Quantity::hvp, 2) : 0;
        auto share = [&](double gflops) { return peak(type) > 0 ? 100 * gflops / peak(type) : 0.0; };
        fmt::print(
            "{:<8} {:>4} {:>4} {:>6}  {:>10.4f} {:>10.4f} {:>10.4f} {:>11.4f}  {:>9.2f} {:>7.1f}% {:>10} {:>10.1f}%\n",
            type, d, h, rows, t(Quantity::forward) * per, t(Quantity::gradient) * per, t(Quantity::hvp) * per,
            t(Quantity::laplacian) * per, t(Quantity::hvp) / t(Quantity::forward), share(hvp_gflops),
            two > 0 ? fmt::format("{:.2f}", two) : "-", share(lapl_gflops));
      }
  fmt::print(
      "\nthe best of each benchmark's repetitions (interleaved); us/s = microseconds per sample; %peak counts\n"
      "4 forward passes of work per HVP against one core's peak FMA rate (peak_fma above: {:.1f} GFLOP/s double,\n"
      "{:.1f} float); lapl %peak counts d + 2 forward passes of work per forward Laplacian, less the d\n"
      "first-layer products its seeds e_k skip (rows of W1).\n",
      peak("double"), peak("float"));
  print_profile();
  benchmark::Shutdown();
}
