// libFuzzer target: the tape loader and validator. Structure-aware like the
// model-file target (an odd first byte: the rest gets a valid checksum). A
// tape that loads must print, read back to the same text, differentiate and
// plan without crashing, and run when its inputs are small.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <fmt/format.h>
#include <wengert/tape_file.hpp>
#include <wengert/wengert.hpp>

#include "io/text_reader.hpp"

namespace {

void exercise(const wengert::Tape& tape) {
  using namespace wengert;
  if (tape_text(parse_tape(tape_text(tape), "again.tape")) != tape_text(tape)) std::abort();  // a round trip is exact
  to_string(tape);
  to_dot(tape);
  std::size_t entries = 0;
  for (const Input& in : tape.inputs())
    entries += static_cast<std::size_t>(in.shape.rows == batch ? 3 : in.shape.rows) * std::size_t(in.shape.cols);
  if (entries > (1u << 20)) return;  // the fuzzer's inputs, not the library, would exhaust memory
  std::vector<Matrix<double>> values;
  Program<double> p(tape, {}, {.check_finite = true});
  for (const Input& in : p.tape().inputs()) {
    values.emplace_back(in.shape.rows == batch ? 3 : std::size_t(in.shape.rows), std::size_t(in.shape.cols), 0.5);
    p.set(in.name, values.back());
  }
  p.run();
  if (!tape.inputs().empty()) grad(tape, {tape.inputs().front().name}, tape.outputs().front().name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) text += fmt::format("checksum {:016x}\n", wengert::io::fnv1a(text));
  try {
    exercise(wengert::parse_tape(text, "fuzz.tape"));
  } catch (const wengert::Error&) {
  }
  return 0;
}
