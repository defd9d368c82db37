// Derivatives as transformations from tape to tape.
//
// Each function here takes a tape and returns a new tape, which can be printed,
// run, or transformed again: grad(f) is a tape, jvp(grad(f)) is the
// forward-over-reverse Hessian-vector product, and a loss recorded from it can be
// differentiated once more. Names follow one convention: the tangent of `x` is
// the input `x_dot`, the adjoint of `x` is the output `x_bar`.
#pragma once

#include <string>
#include <vector>

#include "wengert/passes.hpp"
#include "wengert/tape.hpp"

namespace wengert {

/// Forward mode (src/ad/jvp.cpp). For each input named in `wrt` adds an input
/// `<x>_dot` of the same shape; for each output y adds `<y>_dot` = J·x_dot.
/// The primal outputs are kept. Throws UsageError for an unknown name.
Tape jvp(const Tape& f, const std::vector<std::string>& wrt);

/// Reverse mode (src/ad/vjp.cpp). For each output y adds an input `<y>_bar`;
/// for each input x in `wrt` adds the output `<x>_bar` = Jᵀ·y_bar.
Tape vjp(const Tape& f, const std::vector<std::string>& wrt);

/// The gradient of one output with one column (a scalar per sample, or a
/// scalar): vjp seeded with ones. Rows are independent samples, so for a data
/// input the result is per-sample; for a parameter it is summed over the batch.
/// `output` may be empty when the tape has one output.
Tape grad(const Tape& f, const std::vector<std::string>& wrt, const std::string& output = {});

/// Forward over reverse, jvp(grad(f)) (src/ad/hvp.cpp): a tape with the inputs of
/// f plus `<x>_dot`, and the outputs `<x>_bar` (the gradient) and
/// `<x>_bar_dot` = H·x_dot, per sample row.
Tape hvp(const Tape& f, const std::string& x, const std::string& output = {});

/// The forward Laplacian (src/ad/laplacian.cpp, Li et al. 2023): one forward
/// sweep carrying each value's d tangents along the basis of x and the sum of its
/// second derivatives. Outputs y, `<x>_bar` = ∇x y (B, d) (the gradient, named
/// as grad and hvp name it) and `<x>_laplacian` = Δx y (B, 1), for an output y
/// with one column. About d + 2 evaluations of y, against 4d for d HVPs.
Tape laplacian(const Tape& f, const std::string& x, const std::string& output = {});

}  // namespace wengert
