// Writing a tape node by node, without the Builder's folding and sharing: for
// the passes that copy nodes of a valid tape as they are (dead-code
// elimination, selection) and for the loader, which validates what it writes.
#pragma once

#include <string>

#include "wengert/tape.hpp"

namespace wengert::detail {

struct TapeWriter {
  static NodeId append(Tape& tape, const Node& node) { return tape.append(node); }
  static NodeId add_input(Tape& tape, std::string name, Role role, Shape shape) {
    return tape.add_input(std::move(name), role, shape);
  }
  static void add_output(Tape& tape, std::string name, NodeId node) { tape.add_output(std::move(name), node); }
  // The loader declares the inputs first and meets their nodes later, in tape order.
  static void declare_input(Tape& tape, std::string name, Role role, Shape shape) {
    tape.inputs_.push_back({std::move(name), role, shape, no_node});
  }
  static void bind_input(Tape& tape, std::size_t k, NodeId node) { tape.inputs_[k].node = node; }
};

}  // namespace wengert::detail
