// import wengert: the library from Python (the package's __init__ re-exports _wengert).
#include <wengert/simd.hpp>
#include <wengert/version.hpp>

#include "bindings.hpp"

PYBIND11_MODULE(_wengert, m) {
  using namespace wengert::python;
  m.doc() = "wengert: automatic differentiation on tapes; exact HVPs and Laplacians, score matching";
  m.attr("__version__") = wengert::version();
  m.def("simd_target", &wengert::simd_target, "The instruction set the kernels use (avx512, avx2, sse2, ...).");
  bind_errors(m);
  bind_recording(m);
  bind_transforms(m);
  bind_program(m);
  bind_layers(m);
  bind_estimators(m);
  bind_solvers(m);
}
