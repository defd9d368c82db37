// Node ids and dimensions as indices and counts. Ids and fixed dimensions are
// signed in the tape (no_node and `batch` are -1); code that indexes with them
// converts here, where the conversion is checked in debug builds.
#pragma once

#include <cstddef>

#include "support/assert.hpp"
#include "wengert/tape.hpp"

namespace wengert::detail {

/// A node id as an index into a vector with one entry per node.
inline std::size_t index_of(NodeId id) {
  WENGERT_ASSERT(id >= 0);
  return static_cast<std::size_t>(id);
}

/// A fixed dimension (never `batch`) as a count.
inline std::size_t count_of(Dim d) {
  WENGERT_ASSERT(d >= 0);
  return static_cast<std::size_t>(d);
}

}  // namespace wengert::detail
