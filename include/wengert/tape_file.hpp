// Tapes as files: a tape (a recorded function, or any derivative of one)
// saved once and loaded elsewhere, bit for bit, without recording it again.
//
//   wengert::save_tape("hvp.tape", wengert::hvp(phi, "x"));
//   wengert::Tape h = wengert::load_tape("hvp.tape");
#pragma once

#include <string>
#include <string_view>

#include "wengert/tape.hpp"

namespace wengert {

/// The tape as text, format 'wengert-tape 1': its inputs, one line per node
/// (op, arguments, shape, attributes with 17 significant digits, origin), its
/// outputs and a checksum.
std::string tape_text(const Tape& tape);

/// Writes tape_text(tape) to `path` atomically; IoError if it cannot be written.
void save_tape(const std::string& path, const Tape& tape);

/// Reads a tape file, checking every node as the Builder would have: op names,
/// argument ids (earlier nodes only), arities, shapes by the shape rules, input
/// and output names and references. Anything wrong throws IoError naming the
/// file, the line and what is wrong; a tape that loads is valid.
Tape load_tape(const std::string& path);

/// The same, from text in memory; `name` stands for the file in messages.
Tape parse_tape(std::string_view text, std::string_view name);

}  // namespace wengert
