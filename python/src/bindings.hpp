// The Python module _wengert, one part per file: each adds its names to the module.
#pragma once

#include <pybind11/pybind11.h>

namespace wengert::python {

namespace py = pybind11;

void bind_errors(py::module_& m);      // errors.cpp: wengert's exceptions as Python ones
void bind_recording(py::module_& m);   // recording.cpp: Recorder, Var, the ops, Tape
void bind_transforms(py::module_& m);  // transforms.cpp: jvp, vjp, grad, hvp, laplacian, passes, tape files
void bind_program(py::module_& m);     // program.cpp: Program on NumPy arrays
void bind_layers(py::module_& m);      // layers.cpp: potentials, model files, score matching
void bind_estimators(py::module_& m);  // estimators.cpp: trace estimators on a matrix or a callable
void bind_solvers(py::module_& m);     // solvers.cpp: MAP with a learned prior, diffusion training and sampling

}  // namespace wengert::python
