// Training checkpoints: what a run needs to go on after it is killed, exactly as
// if it had never stopped. A checkpoint file holds a model file (the parameters
// training would return if it stopped there, so `load_model` and every command
// that reads a model read a checkpoint too) and named records of the rest: the
// training core's state (nn::FitState), the state of the trainer's random streams
// and where it is in its data, and the settings of the run that wrote it, which a
// resumed run must repeat. Written atomically, with a checksum, like a model file.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wengert/error.hpp"
#include "wengert/matrix.hpp"
#include "wengert/nn/fit.hpp"
#include "wengert/nn/potential.hpp"

namespace wengert::nn {

/// Named records: lists of numbers, kept exactly (a %.17g round trip), and lines of text.
class Records {
 public:
  Records() = default;
  /// Records read from `source` (a file's name: every error names it).
  explicit Records(std::string source) : source_(std::move(source)) {}

  /// Adds a record of numbers, or of lines of text (each without '\n'); UsageError
  /// for a name that is empty, has a space or is taken.
  void put(const std::string& name, std::span<const double> numbers);
  void put(const std::string& name, const std::vector<std::string>& lines);  ///< see above

  bool has(std::string_view name) const;  ///< whether a record of that name is there
  /// The record's numbers; IoError naming the source when it is missing, holds
  /// another count than `count` (any count when `count` is `any`) or a line that is not a number.
  std::vector<double> numbers(std::string_view name, std::size_t count = any) const;
  /// One whole number below `limit`.
  std::size_t whole_number(std::string_view name, std::size_t limit) const;
  const std::vector<std::string>& lines(std::string_view name) const;  ///< IoError when it is missing

  /// The records in the order put, each a name and its lines.
  const std::vector<std::pair<std::string, std::vector<std::string>>>& all() const { return records_; }
  const std::string& source() const { return source_; }  ///< the file read, for messages

  static constexpr std::size_t any = std::size_t(-1);  ///< numbers(): any count

 private:
  std::string source_;
  std::vector<std::pair<std::string, std::vector<std::string>>> records_;
};

/// A checkpoint: the model and the records to go on from.
struct Checkpoint {
  Potential phi;              ///< the potential trained
  std::vector<double> theta;  ///< the parameters training would return if it stopped here
  Records records;            ///< the state to go on from, and the run's settings
};

/// Writes `path` atomically (IoError if it cannot; the old file stays).
void save_checkpoint(const std::string& path, const Potential& phi, const std::vector<double>& theta,
                     const Records& records);
/// Reads a checkpoint; every defect (format, version, sizes, truncation, checksum) is an IoError naming the file.
Checkpoint load_checkpoint(const std::string& path);
/// The same, from text in memory; `name` stands for the file in messages.
Checkpoint parse_checkpoint(std::string_view text, std::string_view name);

/// The training core's state as records ("step", "theta", "optimizer", ...).
void put(Records& records, const FitState& state);
/// The training core's state a checkpoint holds; IoError when a record is missing or wrong.
FitState fit_state(const Checkpoint& checkpoint);

/// The run's settings ("name value" lines) against those the checkpoint was written
/// with: UsageError naming the first that differs (a resumed run repeats its options).
void check_settings(const Records& records, const std::vector<std::string>& settings, std::string_view function);

/// The rows' shape and a checksum of their values, for a setting: a resumed run trains on the same data.
std::string fingerprint(const Matrix<double>& rows);

/// What a trainer keeps beside the training core's state: its batch source's random
/// streams and place in its data, its reports.
struct TrainerRecords {
  std::function<void(Records&)> save;           ///< puts the trainer's records
  std::function<void(const Records&)> restore;  ///< reads them back
};

/// FitCallbacks::checkpoint for a trainer: writes `path` atomically with the run's
/// settings, the training core's state and the trainer's records (on rank 0 alone).
std::function<void(const FitState&)> checkpoint_writer(std::string path, const Potential& phi,
                                                       std::vector<std::string> settings, TrainerRecords trainer,
                                                       const Communicator& comm);

/// The state to go on from: the checkpoint's settings checked against the run's, the
/// trainer's records restored.
FitState resume_from(const Checkpoint& checkpoint, const std::vector<std::string>& settings,
                     const TrainerRecords& trainer, std::string_view function);

/// The state of a random engine or distribution as one line of text (its operator<<).
template <class Random>
std::string state_line(const Random& random) {
  std::ostringstream out;
  out << random;
  return out.str();
}

/// Restores what state_line wrote; IoError naming the record when it does not read whole.
template <class Random>
void restore(Random& random, const Records& records, std::string_view name) {
  const std::vector<std::string>& lines = records.lines(name);
  std::istringstream in(lines.size() == 1 ? lines[0] : std::string());
  Random read;
  in >> read;
  if (lines.size() != 1 || in.fail() || !(in >> std::ws).eof())
    throw IoError("load_checkpoint: '" + records.source() + "': the record '" + std::string(name) +
                  "' is not the state of this trainer's random stream");
  random = read;
}

}  // namespace wengert::nn
