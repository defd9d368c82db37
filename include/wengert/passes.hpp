// Passes over whole tapes that keep their meaning: selection, dead-code
// elimination, simplification. The transformations (ad.hpp) end with them, and
// the executor plans only what the chosen outputs need.
#pragma once

#include <string>
#include <vector>

#include "wengert/tape.hpp"

namespace wengert {

/// Keeps only the named outputs and what they need. Throws UsageError for an unknown name.
Tape select(const Tape& f, const std::vector<std::string>& outputs);

/// Dead-code elimination: drops nodes no output needs (inputs always stay).
Tape eliminate_dead_code(const Tape& f);

/// Re-emits every node: folds constants, shares common subexpressions,
/// renumbers. Transformations call it; it is idempotent.
Tape simplify(const Tape& f);

}  // namespace wengert
