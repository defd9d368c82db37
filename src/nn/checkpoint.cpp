// The checkpoint file format, version 1 (text, one item per line):
//
//   wengert-checkpoint 1
//   model <n>                  then the n lines of a model file (with its own checksum)
//   record <name> <n>          then n lines: numbers (%.17g, exact round trip) or text
//   ...                        (as many records as the trainer keeps, names unique)
//   checksum <FNV-1a 64 of every byte above this line, hex>
//
// As for model files, the reader trusts nothing: every count is checked against
// the lines the file holds before anything is kept, and the records are checked
// against what the run needs (their counts, their numbers) when they are read.
#include "wengert/nn/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "io/files.hpp"
#include "io/text_reader.hpp"
#include "nn/model_frame.hpp"
#include "wengert/io.hpp"
#include "wengert/nn/model_file.hpp"

namespace wengert::nn {

namespace {

constexpr std::size_t max_checkpoint_bytes = std::size_t(1) << 33;  // 8 GiB, as a model file's limit

[[noreturn]] void bad_record(const Records& records, std::string_view name, const std::string& why) {
  throw IoError(fmt::format("load_checkpoint: '{}': the record '{}' {}", records.source(), name, why));
}

}  // namespace

void Records::put(const std::string& name, std::span<const double> numbers) {
  std::vector<std::string> lines;
  lines.reserve(numbers.size());
  for (double v : numbers) lines.push_back(fmt::format("{:.17g}", v));
  put(name, lines);
}

void Records::put(const std::string& name, const std::vector<std::string>& lines) {
  if (name.empty() || name.find_first_of(" \n") != std::string::npos || has(name))
    throw UsageError(fmt::format("Records::put: the name '{}' is empty, has a space or is taken", name));
  for (const std::string& line : lines)
    if (line.find('\n') != std::string::npos)
      throw UsageError(fmt::format("Records::put: a line of '{}' holds a line break", name));
  records_.emplace_back(name, lines);
}

bool Records::has(std::string_view name) const {
  return std::any_of(records_.begin(), records_.end(), [&](const auto& r) { return r.first == name; });
}

const std::vector<std::string>& Records::lines(std::string_view name) const {
  for (const auto& [n, lines] : records_)
    if (n == name) return lines;
  bad_record(*this, name, "is missing: the file was not written by this trainer");
}

std::vector<double> Records::numbers(std::string_view name, std::size_t count) const {
  const std::vector<std::string>& lines = this->lines(name);
  if (count != any && lines.size() != count)
    bad_record(*this, name, fmt::format("holds {} numbers; this run needs {}", lines.size(), count));
  const io::TextReader reader("", "load_checkpoint", source_);
  std::vector<double> out;
  out.reserve(lines.size());
  for (const std::string& line : lines)
    out.push_back(reader.number(line, fmt::format("record '{}': entry", name), true));
  return out;
}

std::size_t Records::whole_number(std::string_view name, std::size_t limit) const {
  const std::vector<std::string>& lines = this->lines(name);
  const io::TextReader reader("", "load_checkpoint", source_);
  const std::uint64_t v = lines.size() == 1 ? reader.whole_number(lines[0], fmt::format("record '{}'", name)) : limit;
  if (v >= limit) bad_record(*this, name, fmt::format("is not one whole number below {}", limit));
  return std::size_t(v);
}

void save_checkpoint(const std::string& path, const Potential& phi, const std::vector<double>& theta,
                     const Records& records) {
  const std::string model = model_text(phi, theta);
  std::string body =
      fmt::format("wengert-checkpoint 1\nmodel {}\n{}", std::count(model.begin(), model.end(), '\n'), model);
  for (const auto& [name, lines] : records.all()) {
    body += fmt::format("record {} {}\n", name, lines.size());
    for (const std::string& line : lines) (body += line) += '\n';
  }
  body += fmt::format("checksum {:016x}\n", io::fnv1a(body));
  io::write_atomically(path, body);
}

namespace {

// "record <name> <n>", n at most the lines left.
std::size_t record_line(io::TextReader& r, std::string_view& name) {
  const std::vector<std::string_view> w = io::words(r.line());
  if (w.size() != 3 || w[0] != "record") r.bad("is not a 'record <name> <lines>' line");
  const std::uint64_t n = r.whole_number(w[2], "the line count");
  if (n > r.lines_left()) r.bad(fmt::format("announces {} lines; the file holds {} more", n, r.lines_left()));
  name = w[1];
  return std::size_t(n);
}

}  // namespace

Checkpoint parse_checkpoint(std::string_view text, std::string_view name) {
  io::TextReader r(io::TextReader(text, "load_checkpoint", name).checked_body("wengert-checkpoint "), "load_checkpoint",
                   name);
  auto [phi, theta] = parse_model(detail::checkpoint_model(r), fmt::format("{} (its model)", name));
  Records records{std::string(name)};
  while (!r.done()) {
    std::string_view record;
    const std::size_t n = record_line(r, record);
    if (records.has(record)) r.bad(fmt::format("repeats the record '{}'", record));
    std::vector<std::string> lines(n);
    for (std::string& line : lines) line = r.line();
    records.put(std::string(record), lines);
  }
  return {std::move(phi), std::move(theta), std::move(records)};
}

Checkpoint load_checkpoint(const std::string& path) {
  return parse_checkpoint(io::read_file("load_checkpoint", path, max_checkpoint_bytes), path);
}

void put(Records& records, const FitState& state) {
  records.put("step", std::vector<std::string>{std::to_string(state.step)});
  records.put("stopped_early", std::vector<std::string>{state.stopped_early ? "1" : "0"});
  records.put("theta", state.theta);
  records.put("optimizer", state.optimizer);
  const double scalars[] = {state.best_evaluation, double(state.best_step), double(state.without_progress),
                            state.loss_scale, state.parameter_norm};
  records.put("monitor", scalars);
}

FitState fit_state(const Checkpoint& checkpoint) {
  const Records& r = checkpoint.records;
  const std::size_t parameters = checkpoint.theta.size();
  FitState s;
  s.step = r.whole_number("step", std::size_t(1) << 53);
  s.stopped_early = r.whole_number("stopped_early", 2) == 1;
  s.theta = r.numbers("theta", parameters);
  s.kept = checkpoint.theta;
  s.optimizer = r.numbers("optimizer");
  const std::vector<double> m = r.numbers("monitor", 5);
  const auto whole = [&](double v) {
    if (!(v >= 0 && v <= double(s.step) && v == std::floor(v)))
      bad_record(r, "monitor", fmt::format("holds {} where a step count up to {} belongs", v, s.step));
    return std::size_t(v);
  };
  s.best_evaluation = m[0], s.best_step = whole(m[1]), s.without_progress = whole(m[2]);
  s.loss_scale = m[3], s.parameter_norm = m[4];
  for (double v : s.theta)
    if (!std::isfinite(v)) bad_record(r, "theta", fmt::format("holds {}; parameters are finite", v));
  for (double v : s.optimizer)
    if (!std::isfinite(v)) bad_record(r, "optimizer", fmt::format("holds {}; its state is finite", v));
  if (!(s.loss_scale >= 1 && s.parameter_norm >= 1 && std::isfinite(s.loss_scale) && std::isfinite(s.parameter_norm)))
    bad_record(r, "monitor", "holds a reference loss or norm that is not finite and at least 1");
  return s;
}

void check_settings(const Records& records, const std::vector<std::string>& settings, std::string_view function) {
  const std::vector<std::string>& theirs = records.lines("settings");
  const auto key = [](const std::string& line) { return line.substr(0, line.find(' ')); };
  for (const std::string& mine : settings) {
    const auto it = std::find_if(theirs.begin(), theirs.end(), [&](const auto& t) { return key(t) == key(mine); });
    if (it == theirs.end() || *it != mine)
      throw UsageError(fmt::format(
          "{}: the checkpoint '{}' was written by a run with '{}'; this run has '{}': resume with the options of the "
          "run that wrote it",
          function, records.source(), it == theirs.end() ? key(mine) + " unset" : *it, mine));
  }
  if (theirs.size() != settings.size())
    throw UsageError(
        fmt::format("{}: the checkpoint '{}' holds {} settings; this run has {}: it was written by "
                    "another trainer",
                    function, records.source(), theirs.size(), settings.size()));
}

std::string fingerprint(const Matrix<double>& rows) {
  const std::string_view bytes(reinterpret_cast<const char*>(rows.data()), rows.rows() * rows.cols() * sizeof(double));
  return fmt::format("{}x{} {:016x}", rows.rows(), rows.cols(), io::fnv1a(bytes));
}

std::function<void(const FitState&)> checkpoint_writer(std::string path, const Potential& phi,
                                                       std::vector<std::string> settings, TrainerRecords trainer,
                                                       const Communicator& comm) {
  return [path = std::move(path), &phi, settings = std::move(settings), trainer = std::move(trainer),
          &comm](const FitState& state) {
    if (path.empty() || comm.rank() > 0) return;
    Records records;
    records.put("settings", settings);
    put(records, state);
    trainer.save(records);
    save_checkpoint(path, phi, state.kept, records);
  };
}

FitState resume_from(const Checkpoint& checkpoint, const std::vector<std::string>& settings,
                     const TrainerRecords& trainer, std::string_view function) {
  check_settings(checkpoint.records, settings, function);
  FitState state = fit_state(checkpoint);
  trainer.restore(checkpoint.records);
  return state;
}

}  // namespace wengert::nn
