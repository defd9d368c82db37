// The scalar meaning of the element-wise ops (op.hpp), from the formulas the
// kernels compute too.
#include "wengert/op.hpp"

#include "tape/formulas.hpp"

namespace wengert {

double evaluate(Op op, double a, double b, double c) {
  return op_kind(op) == OpKind::binary ? formulas::binary(op, a, b) : formulas::unary(op, a, c);
}

}  // namespace wengert
