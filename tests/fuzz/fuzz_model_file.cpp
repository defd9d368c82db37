// libFuzzer target: the model-file reader, and the checkpoint reader (a text that
// starts as a checkpoint: its model, then its training state). Structure-aware: when the first
// byte is odd, the rest gets a valid checksum line, as anyone can write one, so
// that most inputs reach the parser behind the checksum. A model that loads is
// then run once. Wengert's own errors are the expected answer; a crash, a leak,
// a hang or an allocation beyond the limit is a finding.
#include <cstdint>
#include <string>
#include <fmt/format.h>
#include <wengert/error.hpp>
#include <wengert/nn/checkpoint.hpp>
#include <wengert/nn/model_file.hpp>
#include <wengert/program.hpp>

#include "io/text_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) text += fmt::format("checksum {:016x}\n", wengert::io::fnv1a(text));
  try {
    if (text.starts_with("wengert-checkpoint ")) {
      const wengert::nn::Checkpoint c = wengert::nn::parse_checkpoint(text, "fuzz.ck");
      for (const auto& record : c.records.all()) c.records.numbers(record.first);
      wengert::nn::fit_state(c);
      return 0;
    }
    auto [phi, theta] = wengert::nn::parse_model(text, "fuzz.wgt");
    wengert::Program<double> p(phi.tape, {"phi"});
    phi.bind(p, std::span<const double>(theta));
    wengert::Matrix<double> x(2, static_cast<std::size_t>(phi.dim()), 0.25), t(2, 1, 0.5);
    p.set("x", x);
    if (p.tape().has_input("t")) p.set("t", t);
    p.run();
  } catch (const wengert::Error&) {
  }
  return 0;
}
