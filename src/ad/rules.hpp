// The calculus table shared by both modes: the local derivative of every
// element-wise op, written in ops.
//
// For an element-wise y = f(a, b) both modes need the same numbers, dy/da and
// dy/db; they only differ in what they multiply them by:
//   forward mode (jvp.cpp):  y_dot  = dy/da * a_dot + dy/db * b_dot
//   reverse mode (vjp.cpp):  a_bar += y_bar * dy/da,  b_bar += y_bar * dy/db
// Because the local derivatives are ops on the tape, the derived tape can be
// differentiated again.
#pragma once

#include "tape/builder.hpp"

namespace wengert::detail {

/// d y / d (argument `which`, 0 or 1) for the element-wise node `n`, whose
/// arguments are now the nodes `a` and `b` and whose value is the node `y`.
/// `mode` names the transformation for the error a non-smooth op throws.
NodeId local_derivative(Builder& bld, const Node& n, NodeId y, NodeId a, NodeId b, int which, const char* mode);

/// ∂²y / ∂(argument i) ∂(argument j) for an element-wise node (i = j = 0 for
/// one-argument ops): the curvature the forward Laplacian (laplacian.cpp) needs.
NodeId second_derivative(Builder& bld, const Node& n, NodeId y, NodeId a, NodeId b, int i, int j, const char* mode);

}  // namespace wengert::detail
