// =============================================================================
// Chapter 3. Second derivatives: the Hessian-vector product, jvp(grad(f))
// =============================================================================
//
// Glossary. Words differ between libraries; here they mean:
//   forward mode      jvp: pushes tangents x_dot from inputs to outputs (ch. 1)
//   reverse mode      vjp / grad: pulls adjoints y_bar from outputs to inputs (ch. 2)
//   forward-over-reverse   jvp(grad(f)): forward mode applied to the gradient tape.
//                     This is JAX's usage; some libraries say "reverse-over-forward"
//                     for the same thing. The outer transformation is named first.
//   HVP               H · v, the Hessian of a scalar f times a vector v, per sample
//
// The idea. The gradient g(x) = ∇f(x) is a tape (chapter 2). Its directional
// derivative along v is, by definition of the Hessian,
//
//     d/dε g(x + ε v) at ε = 0  =  H(x) · v,
//
// and a directional derivative is exactly what forward mode computes (chapter 1).
// So H·v = jvp(grad(f)) with x_dot = v: two transformations we already have,
// composed. Nothing new is needed, because the rules of both chapters are
// written in ops — the gradient tape is an ordinary tape, and forward mode can
// walk it like any other.
//
// A worked example. f(x) = x1² x2. The gradient tape computes
//     g = (2 x1 x2, x1²);
// forward mode through it along v gives
//     g_dot = (2 v1 x2 + 2 x1 v2, 2 x1 v1) = [[2 x2, 2 x1], [2 x1, 0]] · v,
// which is H · v. At x = (1, 2), v = (1, 0): H·v = (4, 2).
//
// Why this order. The cost of H·v this way is a small constant times one
// evaluation of f, whatever the dimension d (the gradient tape is about 3× f,
// and its tangent about 2× that again). The dense Hessian is d HVPs, one per
// basis vector; its trace, the Laplacian, sums their diagonal entries.
//
// Symbolic zeros matter twice here: grad(f, {"x"}) emits no parameter
// adjoints, and jvp along x emits no tangents for nodes that do not depend on x
// (the weights, the seeds). Print the three tapes (examples/04_hvp.cpp) to see
// what each step adds.
//
// Read next: the executor (src/exec/program.cpp), which runs these tapes.
// =============================================================================

#include "ad/transform.hpp"
#include "wengert/ad.hpp"

namespace wengert {

Tape hvp(const Tape& f, const std::string& x, const std::string& output) {
  const std::string y = detail::scalar_output("hvp", f, output).name;
  Tape g = grad(f, {x}, y);  // outputs: y, x_bar = ∇f
  Tape hv = jvp(g, {x});     // adds x_dot; outputs y_dot, x_bar_dot = H · x_dot
  return select(hv, {y, x + "_bar", x + "_bar_dot"});
}

}  // namespace wengert
