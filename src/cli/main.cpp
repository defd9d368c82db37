// The command line: wengert train | eval | demo | map | sample. Each subcommand
// lives in its own file (commands.hpp); here they are declared, parsed and run.
#include <unistd.h>

#include <algorithm>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "wengert/error.hpp"

using namespace wengert;

namespace {

// Every failure ends the same way: one line on stderr, exit status 2.
int fail(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  if (::isatty(::fileno(stdout))) fmt::print("\n");  // after a progress line drawn in place
  fmt::print(stderr, "wengert: {}\n", message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wengert: automatic differentiation on tapes, and score matching on top of it"};
  app.require_subcommand(1);

  cli::TrainCommand train(false), demo(true);
  cli::EvalCommand eval;
  cli::MapCommand map;
  cli::SampleCommand sample;
  CLI::App* train_cmd = app.add_subcommand("train", "learn a potential from samples by score matching");
  cli::add_train_options(*train_cmd, train);
  CLI::App* eval_cmd = app.add_subcommand("eval", "measure a model file against data");
  cli::add_eval_options(*eval_cmd, eval);
  CLI::App* demo_cmd =
      app.add_subcommand("demo", "train an MLP on the 8-Gaussian ring, print the metrics, draw pictures");
  cli::add_train_options(*demo_cmd, demo);
  CLI::App* map_cmd =
      app.add_subcommand("map", "MAP estimates of x from observations b = F(x) + noise, with a learned prior");
  cli::add_map_options(*map_cmd, map);
  CLI::App* sample_cmd =
      app.add_subcommand("sample", "learn a time-conditioned score along x_t = sqrt(t) x + sqrt(1-t) z and sample");
  cli::add_sample_options(*sample_cmd, sample);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what());
  }
  try {
    if (train_cmd->parsed()) return cli::run_train(train);
    if (demo_cmd->parsed()) return cli::run_train(demo);
    if (eval_cmd->parsed()) return cli::run_eval(eval);
    if (map_cmd->parsed()) return cli::run_map(map);
    if (sample_cmd->parsed()) return cli::run_sample(sample);
  } catch (const std::bad_alloc&) {
    return fail("out of memory; use smaller sizes (--samples, --batch, --widths, --n)");
  } catch (const std::exception& e) {  // wengert::Error, and whatever else: never an abort
    return fail(e.what());
  }
  return 0;
}
