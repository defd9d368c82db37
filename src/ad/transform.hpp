// Steps every transformation shares.
#pragma once

#include <string>
#include <vector>

#include "tape/builder.hpp"

namespace wengert::detail {

/// Re-creates f's inputs in `bld` (same names, roles, shapes) and re-emits its
/// nodes; returns the new id of each node of f.
std::vector<NodeId> copy_primal(Builder& bld, const Tape& f);

/// `names` after checking each is an input of f (UsageError naming `function`
/// and the tape's inputs otherwise) and none is repeated.
const std::vector<std::string>& checked_names(const char* function, const Tape& f,
                                              const std::vector<std::string>& names);

}  // namespace wengert::detail
