// Shape rules: the shape of op(a, b) from the shapes of its arguments, or a
// ShapeError naming the op and both shapes. The Builder applies them to every
// node it emits; the tape loader to every node it reads.
#pragma once

#include <cstdint>

#include "wengert/tape.hpp"

namespace wengert::detail {

/// The largest fixed dimension a tape may have: products of two stay far from overflow.
inline constexpr Dim max_dim = (Dim(1) << 31) - 1;

/// The shape of a node with op `op` over arguments of shapes a and b (b unused
/// for one argument; a and b both unused for leaves, whose shape is given).
Shape infer_shape(Op op, Shape a, Shape b, std::int64_t begin, std::int64_t size);

/// ShapeError unless `shape` is a valid tensor shape: rows `batch` or in
/// 1..max_dim, cols in 1..max_dim (or `batch` when a transposed batch is allowed).
void check_shape(const char* what, Shape shape, bool transposed_batch_allowed);

}  // namespace wengert::detail
