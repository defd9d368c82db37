// Tape files: exact round trips of recorded and derived tapes, and every kind
// of damage or forgery refused with the line that is wrong.
#include <doctest/doctest.h>

#include <filesystem>
#include <fmt/format.h>
#include <wengert/tape_file.hpp>

#include "support/harness.hpp"
#include "support/random_tapes.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {

std::string signed_text(const std::string& body) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : body) h = (h ^ c) * 1099511628211ull;
  return body + fmt::format("checksum {:016x}\n", h);
}

// A small tape's text with one line replaced, re-signed: a forgery the checksum cannot catch.
std::string forged(const std::string& find, const std::string& replace) {
  Recorder rec;
  Var x = rec.data("x", 2);
  Var w = rec.parameter("W", 2, 3);
  rec.output("y", sum_cols(tanh(matmul(x, w))));
  std::string text = tape_text(rec.finish());
  text = text.substr(0, text.rfind("checksum "));
  const std::size_t at = text.find(find);
  REQUIRE(at != std::string::npos);
  return signed_text(text.replace(at, find.size(), replace));
}

void refused(const std::string& text, const char* message) {
  CAPTURE(text);
  CHECK_THROWS_WITH_AS(parse_tape(text, "forged.tape"), doctest::Contains(message), IoError);
}

}  // namespace

TEST_CASE("tape files: recorded and derived tapes read back exactly and compute the same numbers") {
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    CAPTURE(seed);
    for (const Tape& t : {random_tape(seed), hvp(random_tape(seed), "x"), laplacian(random_tape(seed), "x")}) {
      const std::string text = tape_text(t);
      const Tape back = parse_tape(text, "round.tape");
      CHECK(tape_text(back) == text);
      CHECK(to_string(back) == to_string(t));
      std::mt19937_64 rng(seed);
      Values at = random_inputs(t, 7, rng);
      Values a = run(t, at), b = run(back, at);
      for (auto& [name, m] : a) CHECK(closeness(b[name], m, 0, 1e-300) <= 1);
    }
  }
  const std::string path = (std::filesystem::temp_directory_path() / "wengert_test.tape").string();
  const Tape h = hvp(random_tape(3), "x");
  save_tape(path, h);
  CHECK(to_string(load_tape(path)) == to_string(h));
  std::filesystem::remove(path);
}

TEST_CASE("tape files: forged nodes are refused with the node and what is wrong") {
  refused(forged("tanh 2 -", "atan 2 -"), "op 'atan' is not known");
  refused(forged("tanh 2 -", "tanh 9 -"), "argument %9 of node %3 is not an earlier node");
  refused(forged("tanh 2 -", "tanh 2 1"), "node %3 (tanh) takes 1 argument(s)");
  refused(forged("tanh 2 - B 3", "tanh 2 - B 4"), "node %3 (tanh) has shape (B, 4); its arguments give (B, 3)");
  refused(forged("matmul 0 1 B 3", "matmul 1 0 B 3"), "node %2: matmul: shapes (2, 3) and (B, 2) do not fit");
  refused(forged("W parameter 2 3", "W parameter 2 0"), "input 'W': shape (2, 0) is not valid");
  refused(forged("W parameter 2 3", "x parameter 2 3"), "names input 'x' twice");
  refused(forged("input - - 2 3 0 1 0", "input - - 2 3 0 0 0"), "refers to input 0, which is not an input waiting");
  refused(forged("outputs 1\ny 4", "outputs 1\ny 40"), "output node %40 is not a node");
  refused(forged("nodes 5", "nodes 600000000"), "lists 600000000 nodes but holds");
  refused(forged("wengert-tape 1", "wengert-tape 2"), "has format version '2'");
  refused(forged("outputs 1\ny 4", "outputs 1\ny 4\nz 4"), "has lines after its outputs");
  std::string text = tape_text(hvp(random_tape(1), "x"));
  text[text.size() / 2] ^= 1;
  refused(text, "checksum does not match");
  refused(text.substr(0, text.size() / 2), "truncated");
}

TEST_CASE("tapes cannot be made invalid: names, shapes, node ids and dead recordings are checked") {
  Recorder rec;
  CHECK_THROWS_WITH_AS(rec.data("x y", 2), doctest::Contains("without spaces"), UsageError);
  CHECK_THROWS_WITH_AS(rec.data("x", 0), doctest::Contains("shape (B, 0) is not valid"), ShapeError);
  CHECK_THROWS_WITH_AS(rec.parameter("w", 3, std::int64_t(1) << 40), doctest::Contains("is not valid"), ShapeError);
  Var x = rec.data("x", 2);
  rec.output("y", sum_cols(x));
  const Tape t = rec.finish();
  CHECK_THROWS_WITH_AS(t.node(7), doctest::Contains("%7 is not a node of this tape"), UsageError);
  CHECK_THROWS_WITH_AS(t.node(-1), doctest::Contains("is not a node"), UsageError);
  Var dangling;
  {
    Recorder gone;
    dangling = gone.data("z", 3);
  }
  Recorder fresh;  // may reuse the address of the recorder that is gone
  Var z = fresh.data("z", 3);
  CHECK_THROWS_WITH_AS(tanh(dangling), doctest::Contains("belongs to a Recorder that no longer exists"), UsageError);
  CHECK_THROWS_AS(z + dangling, UsageError);
}
