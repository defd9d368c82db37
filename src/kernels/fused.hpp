// A fused group of element-wise steps as one kernel call: the steps run in
// turn over a block of rows, each reading and writing the group's slots (the
// planner's buffers: values from before the group, bias rows, the group's own
// scratch, and the values that leave it). One call per block instead of one
// per step, and the scratch a few rows deep: what one step writes, the next
// reads from L1, and what dies inside the group is never written to the arena.
//
// Each step runs its own kernel, the kernel set's loop for its op and tail
// (chosen once: choose_step_kernels), over all the rows at once where its slots
// are contiguous, else row by row: an entry's bits depend on its inputs alone
// (kernels/element_wise.hpp), so a fused group gives the bits of its steps run
// one by one. A sum over the batch adds the block's rows in order into its row,
// which the next block adds to: the bits of its step over all the rows. A row
// sum takes the whole block in one call of its step's kernel, which sums each
// row by itself: the bits of its step too.
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

#include "kernels/kernels.hpp"

namespace wengert::kernels {

/// Keeps the compiler from fusing the product in v into the sum that follows
/// (GCC contracts a * b + c into one multiply-add in C++ by default): the steps
/// a tail stands for round the product on its own.
template <class V>
void rounded_apart(V& v) {
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (std::is_floating_point_v<V>)
    asm("" : "+x"(v));
  else
    asm("" : "+v"(v.data));
#elif defined(__aarch64__)
  if constexpr (std::is_floating_point_v<V>)
    asm("" : "+w"(v));
  else
    asm("" : "+w"(v.data));
#else
  volatile V kept = v;
  v = kept;
#endif
}

/// A step's tail applied to a value (a number or a register), each operation
/// as the step it stands for computes it: the same bits, NaN's sign included.
/// The scaling and the shift are always applied: absent, they are times 1 and
/// plus -0 (AffineTail's defaults), which change nothing.
template <class T>
struct Affine {
  AffineTail<T> tail;
  template <class V>
  V operator()(V v) const {
    rounded_apart(v);  // the step's own value, a product perhaps, rounded before the tail
    v = flip_if(v, tail.negate_first);
    v = v * V(tail.scale);
    rounded_apart(v);
    v = flip_if(v, tail.negate_scaled);
    v = v + V(tail.shift);
    return flip_if(v, tail.negate_last);
  }
  template <class V>
  static V flip_if(V v, bool flip) {
    return flip ? -v : v;
  }
};
/// No tail.
struct Plain {
  template <class V>
  V operator()(V v) const {
    return v;
  }
};

/// Whether the step `s` joins the tail `t` of the step before it: a negation
/// always; one scaling, before any shift; one shift.
template <class T>
bool joins_tail(AffineTail<T>& t, const FusedStep<T>& s) {
  if (s.op == Op::neg) {
    bool& flag = t.shifted ? t.negate_last : t.scaled ? t.negate_scaled : t.negate_first;
    flag = !flag;
    return true;
  }
  if (s.op == Op::mul_scalar && !t.scaled && !t.shifted) {
    t.scaled = true;
    t.scale = s.c;
    return true;
  }
  if (s.op == Op::add_scalar && !t.shifted) {
    t.shifted = true;
    t.shift = s.c;
    return true;
  }
  return false;
}

/// The steps with their tails: a step that only negates, scales or shifts
/// (neg, mul_scalar, add_scalar) the value an element-wise step just before it
/// wrote, where no other step reads that value and it lives in the group's
/// scratch (`scratch[slot]`), becomes that step's tail: one pass over the rows
/// instead of two, the same operations in the same order. (A sum's step has no
/// tail: its kernel sums, it does not map.)
template <class T>
std::vector<FusedStep<T>> with_affine_tails(std::vector<FusedStep<T>> steps, const std::vector<bool>& scratch) {
  std::vector<int> readers(scratch.size(), 0);
  for (const FusedStep<T>& s : steps) {
    ++readers[s.a];
    if (op_kind(s.op) == OpKind::binary) ++readers[s.b];
  }
  std::vector<FusedStep<T>> out;
  for (const FusedStep<T>& s : steps) {
    FusedStep<T>* prev = out.empty() ? nullptr : &out.back();
    const bool element_wise = prev && (op_kind(prev->op) == OpKind::unary || op_kind(prev->op) == OpKind::binary);
    const bool after_prev =
        element_wise && s.a == prev->y && scratch[prev->y] && readers[prev->y] == 1 && s.cols == prev->cols;
    if (after_prev && joins_tail(prev->tail, s))
      prev->y = s.y;
    else
      out.push_back(s);
  }
  return out;
}

template <class T>
void fused(std::span<const FusedStep<T>> steps, T* const* slot, const std::size_t* row_step, std::size_t rows) {
  for (const FusedStep<T>& s : steps) {
    if (s.op == Op::sum_rows || s.op == Op::sum_cols) {  // over the block's rows at once: n counts rows
      s.kernel(s, slot[s.a], nullptr, slot[s.y], rows);
      continue;
    }
    const std::size_t cols = s.cols;
    const bool whole = row_step[s.a] == cols && row_step[s.b] == cols && row_step[s.y] == cols;
    const std::size_t passes = whole ? 1 : rows, n = whole ? rows * cols : cols;
    for (std::size_t r = 0; r < passes; ++r)
      s.kernel(s, slot[s.a] + r * row_step[s.a], slot[s.b] + r * row_step[s.b], slot[s.y] + r * row_step[s.y], n);
  }
}

}  // namespace wengert::kernels
