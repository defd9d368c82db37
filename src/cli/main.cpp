// The command line: wengert train | eval | demo | map | sample. Each subcommand
// lives in its own file (commands.hpp); here they are declared, parsed and run.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>

#include "cli/commands.hpp"
#ifdef WENGERT_MPI
#include "mpi/communicator.hpp"
#endif
#include "wengert/error.hpp"
#include "wengert/simd.hpp"
#include "wengert/version.hpp"

using namespace wengert;

namespace {

// Every failure ends the same way: one line on stderr, exit status 2.
int fail(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  if (::isatty(::fileno(stdout))) fmt::print("\n");  // after a progress line drawn in place
  fmt::print(stderr, "wengert: {}\n", message);
  return 2;
}

// wengert --version: the version, and the kernels this process runs.
std::string version_text() {
  std::string kernels;
  try {
    kernels = fmt::format("kernels: {} (this build on this CPU: {})", simd_target(), fmt::join(simd_targets(), ", "));
  } catch (const Error& e) {  // a bad WENGERT_SIMD: say so here too
    kernels = fmt::format("kernels: none chosen; {}", e.what());
  }
  return fmt::format("wengert {}\n{}", version(), kernels);
}

#ifdef WENGERT_MPI
using Ranks = mpi::Session;  // under mpirun: the ranks of MPI_COMM_WORLD
#else
struct Ranks {  // one process alone
  Ranks(int&, char**&) {}
  nn::Communicator& world() { return nn::single_process(); }
  void abort(int) {}
};
#endif

// How a failure ends this process: one line on stderr, exit status 2. Another
// rank's failure reaches rank 0, which says it; a rank's own failure is its to
// say; under mpirun every rank then ends, so that none is left waiting.
int fail_on(Ranks& session, std::string message) {
  nn::Communicator& ranks = session.world();
  if (ranks.rank() == 0 || message.rfind("training stopped: rank", 0) != 0)
    fail(ranks.size() > 1 ? fmt::format("rank {}: {}", ranks.rank(), message) : message);
  std::fflush(stderr);
  session.abort(2);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Ranks session(argc, argv);
  nn::Communicator& ranks = session.world();
  if (ranks.rank() > 0) std::freopen("/dev/null", "w", stdout);  // rank 0 alone reports
  CLI::App app{"wengert: automatic differentiation on tapes, and score matching on top of it"};
  app.require_subcommand(1);
  app.footer("wengert <command> --help lists a command's options with their defaults");
  app.set_version_flag("--version", version_text, "the version, and the instruction set of the kernels in use");

  cli::TrainCommand train(false), demo(true);
  train.options.communicator = demo.options.communicator = &ranks;
  cli::EvalCommand eval;
  eval.communicator = &ranks;
  cli::MapCommand map;
  map.communicator = &ranks;
  cli::SampleCommand sample;
  sample.communicator = &ranks;
  CLI::App* train_cmd = app.add_subcommand("train", "learn a potential from samples by score matching");
  cli::add_train_options(*train_cmd, train);
  train_cmd->footer("example: wengert train --data two_moons --out moons.wgt");
  CLI::App* eval_cmd = app.add_subcommand("eval", "measure a model file against data");
  cli::add_eval_options(*eval_cmd, eval);
  eval_cmd->footer("example: wengert eval --model moons.wgt --data two_moons");
  CLI::App* demo_cmd =
      app.add_subcommand("demo", "train an MLP on the 8-Gaussian ring, print the metrics, draw pictures");
  cli::add_train_options(*demo_cmd, demo);
  demo_cmd->footer("example: wengert demo --data two_moons --out demo-moons");
  CLI::App* map_cmd =
      app.add_subcommand("map", "MAP estimates of x from observations b = F(x) + noise, with a learned prior");
  cli::add_map_options(*map_cmd, map);
  map_cmd->footer("example: wengert map --prior demo/model.wgt --in noisy.csv --sigma 0.3 --out estimates.csv");
  CLI::App* sample_cmd =
      app.add_subcommand("sample", "learn a time-conditioned score along x_t = sqrt(t) x + sqrt(1-t) z and sample");
  cli::add_sample_options(*sample_cmd, sample);
  sample_cmd->footer("example: wengert sample --data two_moons --model moons-diffusion.wgt --out samples.csv");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (ranks.rank() == 0) fail(e.what());  // every rank parses the same flags: one says it
    return 2;
  }
  try {
    if (train_cmd->parsed()) return cli::run_train(train);
    if (demo_cmd->parsed()) return cli::run_train(demo);
    if (eval_cmd->parsed()) return cli::run_eval(eval);
    if (map_cmd->parsed()) return cli::run_map(map);
    if (sample_cmd->parsed()) return cli::run_sample(sample);
  } catch (const std::bad_alloc&) {
    return fail_on(session, "out of memory; use smaller sizes (--samples, --batch, --widths, --n)");
  } catch (const std::exception& e) {  // wengert::Error, and whatever else: never an abort
    return fail_on(session, e.what());
  }
  return 0;
}
