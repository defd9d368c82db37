#include "tape/shapes.hpp"

#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::detail {

namespace {

std::string dim_text(Dim d) { return d == batch ? "B" : std::to_string(d); }

bool fixed(Dim d) { return d >= 1 && d <= max_dim; }

[[noreturn]] void shape_error(Op op, Shape a, Shape b, std::string_view why) {
  throw ShapeError(fmt::format("{}: shapes {} and {} do not fit: {}", op_name(op), to_string(a), to_string(b), why));
}

[[noreturn]] void shape_error(Op op, Shape a, std::string_view why) {
  throw ShapeError(fmt::format("{}: shape {} does not fit: {}", op_name(op), to_string(a), why));
}

[[noreturn]] void extent_error(Op op, const char* what, Dim size) {
  throw ShapeError(fmt::format("{}: {} {} is not in 1 to {}", op_name(op), dim_text(size), what, max_dim));
}

}  // namespace

void check_shape(const char* what, Shape shape, bool transposed_batch_allowed) {
  const bool rows_ok = shape.rows == batch || fixed(shape.rows);
  const bool cols_ok = fixed(shape.cols) || (transposed_batch_allowed && shape.cols == batch && shape.rows != batch);
  if (!rows_ok || !cols_ok)
    throw ShapeError(fmt::format("{}: shape {} is not valid: rows are B or 1 to {}, columns 1 to {}", what,
                                 to_string(shape), max_dim, max_dim));
}

Shape infer_shape(Op op, Shape sa, Shape sb, std::int64_t begin, std::int64_t size) {
  // clang-format off
  switch (op) {
    case Op::input: case Op::fill:
      break;  // leaves have their shape given
    case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log: case Op::log1p:
    case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: case Op::relu: case Op::abs:
    case Op::step: case Op::sign:
      return sa;
    case Op::add: case Op::sub: case Op::mul: case Op::div:
      if (sa != sb) shape_error(op, sa, sb, "element-wise operands need equal shapes");
      return sa;
    case Op::broadcast_rows: case Op::spread_rows:
      if (sa.rows != 1) shape_error(op, sa, "only a single row can be broadcast over rows");
      if (size != batch && !fixed(size)) extent_error(op, "rows", size);
      return {size, sa.cols};
    case Op::broadcast_cols:
      if (sa.cols != 1) shape_error(op, sa, "only a single column can be broadcast over columns");
      if (!fixed(size)) extent_error(op, "columns", size);
      return {sa.rows, size};
    case Op::sum_rows: case Op::mean_rows:
      if (sa.cols == batch) shape_error(op, sa, "the columns of a transposed batch cannot be kept");
      return {1, sa.cols};
    case Op::sum_cols:
      if (sa.cols == batch) shape_error(op, sa, "summing over a transposed batch: use sum_rows before transposing");
      return {sa.rows, 1};
    case Op::transpose:
      return {sa.cols, sa.rows};
    case Op::slice_cols:
      if (sa.cols == batch || begin < 0 || size < 1 || begin > sa.cols || size > sa.cols - begin)
        throw ShapeError(fmt::format("slice_cols: columns [{}, {}) are not inside shape {}", begin,
                                     begin + size, to_string(sa)));
      return {sa.rows, size};
    case Op::pad_cols:
      if (sa.cols == batch || !fixed(size) || begin < 0 || sa.cols > size || begin > size - sa.cols)
        throw ShapeError(fmt::format("pad_cols: shape {} placed at column {} does not fit in {} columns",
                                     to_string(sa), begin, dim_text(size)));
      return {sa.rows, size};
    case Op::concat_cols: {
      if (sa.rows != sb.rows) shape_error(op, sa, sb, "concatenated operands need equal rows");
      if (sa.cols == batch || sb.cols == batch) shape_error(op, sa, sb, "cannot concatenate a transposed batch");
      if (sa.cols > max_dim - sb.cols) shape_error(op, sa, sb, "the concatenation would be too wide");
      return {sa.rows, sa.cols + sb.cols};
    }
    case Op::matmul: {
      if (sa.cols != sb.rows) shape_error(op, sa, sb, "the columns of the first must equal the rows of the second");
      return {sa.rows, sb.cols};
    }
  }
  // clang-format on
  return sa;
}

}  // namespace wengert::detail
