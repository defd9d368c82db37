// The transformations, tape to tape, exactly as in C++ (wengert/ad.hpp, passes.hpp).
#include <pybind11/stl.h>

#include <wengert/ad.hpp>

#include "bindings.hpp"

namespace wengert::python {

void bind_transforms(py::module_& m) {
  m.def("jvp", &jvp, py::arg("f"), py::arg("wrt"), "forward mode: inputs <x>_dot, outputs <y>_dot = J x_dot");
  m.def("vjp", &vjp, py::arg("f"), py::arg("wrt"), "reverse mode: inputs <y>_bar, outputs <x>_bar = Jᵀ y_bar");
  m.def("grad", &grad, py::arg("f"), py::arg("wrt"), py::arg("output") = std::string(),
        "the gradient of a one-column output: outputs <x>_bar");
  m.def("hvp", &hvp, py::arg("f"), py::arg("x"), py::arg("output") = std::string(),
        "forward over reverse: outputs <x>_bar and <x>_bar_dot = H x_dot");
  m.def("laplacian", &laplacian, py::arg("f"), py::arg("x"), py::arg("output") = std::string(),
        "the forward Laplacian: outputs y, <x>_bar and <x>_laplacian");
  m.def("select", &select, py::arg("f"), py::arg("outputs"), "keeps the named outputs and what they need");
  m.def("simplify", &simplify, py::arg("f"), "folds constants, shares common subexpressions");
  m.def("eliminate_dead_code", &eliminate_dead_code, py::arg("f"), "drops nodes no output needs");
}

}  // namespace wengert::python
