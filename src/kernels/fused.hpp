// A fused group of element-wise steps as one kernel call: the steps run in
// turn over a block of rows, each reading and writing the group's slots (the
// planner's buffers: values from before the group, bias rows, the group's own
// scratch, and the values that leave it). One call per block instead of one
// per step, and the scratch a few rows deep: what one step writes, the next
// reads from L1, and what dies inside the group is never written to the arena.
//
// Each step calls the kernel set's own unary or binary kernel, over all the
// rows at once where its slots are contiguous, else row by row: an entry's bits
// depend on its inputs alone (kernels/element_wise.hpp), so a fused group gives
// the bits of its steps run one by one.
#pragma once

#include <cstddef>
#include <span>

#include "kernels/kernels.hpp"

namespace wengert::kernels {

template <class T, class Unary, class Binary>
void run_fused(std::span<const FusedStep<T>> steps, T* const* slot, const std::size_t* row_step, std::size_t rows,
               Unary unary, Binary binary) {
  for (const FusedStep<T>& s : steps) {
    const std::size_t cols = s.cols;
    const bool is_unary = op_kind(s.op) == OpKind::unary;
    const bool whole = row_step[s.a] == cols && row_step[s.y] == cols && (is_unary || row_step[s.b] == cols);
    const std::size_t passes = whole ? 1 : rows, n = whole ? rows * cols : cols;
    for (std::size_t r = 0; r < passes; ++r) {
      T* y = slot[s.y] + r * row_step[s.y];
      const T* a = slot[s.a] + r * row_step[s.a];
      if (is_unary)
        unary(s.op, a, y, n, s.c);
      else
        binary(s.op, a, slot[s.b] + r * row_step[s.b], y, n);
    }
  }
}

}  // namespace wengert::kernels
