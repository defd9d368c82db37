// Steps every transformation shares: checking the names it is given, and
// finding the one output it differentiates.
#pragma once

#include <string>
#include <vector>

#include "wengert/tape.hpp"

namespace wengert::detail {

/// `names` after checking each is an input of f (UsageError naming `function`
/// and the tape's inputs otherwise), that there is at least one, and that none
/// is repeated.
const std::vector<std::string>& checked_names(const char* function, const Tape& f,
                                              const std::vector<std::string>& names);

/// The output to differentiate: the one called `name`, or the tape's only
/// output when `name` is empty. It must have one column (a scalar per sample,
/// or a scalar): UsageError or ShapeError naming `function` otherwise.
const Output& scalar_output(const char* function, const Tape& f, const std::string& name);

}  // namespace wengert::detail
