// The subcommands of `wengert`: each has an options struct, a function that
// declares its flags, and a function that runs it. main.cpp parses and
// dispatches; a wengert::Error ends in one line and exit status 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <CLI/CLI.hpp>

#include "cli/options.hpp"
#include "wengert/matrix.hpp"
#include "wengert/score/data.hpp"
#include "wengert/score/train.hpp"
#include "wengert/solvers/map.hpp"

namespace wengert::cli {

// ---- data (data.cpp) ---------------------------------------------------------------

struct DataChoice {
  std::string source = "ring8";  // a built-in name or a CSV file
  std::size_t samples = 20000;   // drawn from a built-in set; 0: fresh samples every step (training only)
  std::uint64_t seed = 1;
  double noise = 0;  // a built-in's noise (ring8's standard deviation); 0: the set's own
};

/// The rows (none for a stream of fresh samples), and for a built-in set the
/// set itself (its true score, density, regions).
struct Data {
  Matrix<double> x;
  std::optional<score::Dataset> truth;
  bool stream() const { return x.rows() == 0; }
};

/// A built-in set's samples (or its stream, for samples = 0 when `stream_allowed`),
/// or a CSV file's rows; a name that is neither is refused naming both possibilities.
Data load_data(const DataChoice& choice, bool stream_allowed = false);
/// The --data, --samples and --noise flags (and --seed where the command has no other).
void add_data_options(CLI::App& cmd, DataChoice& choice, bool with_seed);

/// UsageError when writing `out` would overwrite the input `in` (the same file,
/// by whatever path): the flags are named in the message.
void check_distinct(const std::string& out_flag, const std::string& out, const std::string& in_flag,
                    const std::string& in);
/// UsageError when a model's dimension and the data's columns differ.
void check_dimension(const std::string& model, const nn::Potential& phi, const std::string& data, std::size_t cols);

// ---- train and demo (train.cpp) -------------------------------------------------

struct TrainCommand {
  bool demo = false;  // demo: the main job, with metrics and pictures in a folder
  DataChoice data;
  std::string model = "mlp", widths = "2,64,64,1", activation = "tanh", loss = "exact", probe = "rademacher";
  std::string keep = "last", schedule = "cosine";
  double confinement = 0;
  std::string out = "model.wgt";  // train: the model file; demo: the folder
  score::TrainOptions options;
  /// The defaults of train, or of the demo (the settings that measured best for each; train.cpp says how).
  explicit TrainCommand(bool demo);
};
void add_train_options(CLI::App& cmd, TrainCommand& c);
int run_train(TrainCommand& c);

// ---- eval (eval.cpp) --------------------------------------------------------------

struct EvalCommand {
  std::string model = "model.wgt";
  DataChoice data;
  // A time-conditioned model: its likelihood along the probability-flow ODE.
  std::size_t likelihood_rows = 2000, ode_steps = 64, probes = 8;
  int threads = 2;
  nn::Communicator* communicator = nullptr;  // under mpirun: the rows and the grid shared by the ranks
};
void add_eval_options(CLI::App& cmd, EvalCommand& c);
int run_eval(EvalCommand& c);
/// UsageError for a time-conditioned model where a plain one is needed; `instead` says what to do.
void check_plain_model(const std::string& path, const nn::Potential& phi, const std::string& instead);

/// What train, demo and eval print about a model against its data.
struct Metrics {
  double holdout_loss = NAN, fisher = NAN, tv = NAN,
         kl = NAN;                          ///< TV and KL on the grid (plot.hpp) against the exact density
  std::vector<double> masses, true_masses;  ///< per region of the data (its modes, rings, moons)
};
/// With `ranks`, the rows and the grid's cells are shared by them (collective: every rank calls it).
Metrics measure(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& held,
                const std::optional<score::Dataset>& truth, nn::Communicator* ranks = nullptr);
void print_metrics(const std::string& label, const Metrics& m);
/// A quadratic model's Gaussian, and how far its moments are from those of the data's rows (if any).
void print_gaussian(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& data);
void print_masses(const std::string& label, const std::vector<double>& masses, const std::vector<double>& truth);

// ---- map (map.cpp) ---------------------------------------------------------------

struct MapCommand {
  std::string prior = "model.wgt", in, out = "estimate.csv", op = "identity", mask;
  double sigma = 0.1, width = 1.5;
  std::size_t stride = 2;
  solvers::MapOptions options;
  nn::Communicator* communicator = nullptr;  // under mpirun: the rows are shared by the ranks
  MapCommand();
};
void add_map_options(CLI::App& cmd, MapCommand& c);
int run_map(const MapCommand& c);

// ---- sample (sample.cpp) -----------------------------------------------------------

// The noise levels a diffusion model is trained on and sampled from: from sigma = 0.002,
// far below any feature of the data, to 5 times the data's scale s, where the data is a
// speck (the law of y there is N(0, (sigma² + s²) I) to within 1e-3). The model knows
// nothing beyond: its likelihood is integrated up to the same level.
inline constexpr double lowest_noise = 0.002, highest_noise = 5;

struct SampleCommand {
  DataChoice data;
  std::string model, out = "samples.csv", sampler = "sde", loss = "denoising", keep = "ema", checkpoint, resume;
  std::size_t n = 50000, evaluations = 50, train_steps = 20000, batch = 512, width = 128;
  double learning_rate = 2e-2;
  bool retrain = false, exact_score = false;
  int threads = 2;
  nn::Communicator* communicator = nullptr;  // under mpirun: training and sampling shared by the ranks
  SampleCommand() { data.samples = 0; }      // fresh samples every training step
};
void add_sample_options(CLI::App& cmd, SampleCommand& c);
int run_sample(SampleCommand& c);

}  // namespace wengert::cli
