// Tapes as text: the Wengert list, and Graphviz DOT.
#pragma once

#include <string>

#include "wengert/tape.hpp"

namespace wengert {

/// One line per node: index, op, arguments, attributes, shape, and for derived
/// nodes what they came from ("tangent of %3").
std::string to_string(const Tape& tape);

/// The tape as a Graphviz digraph (`dot -Tsvg`).
std::string to_dot(const Tape& tape);

}  // namespace wengert
