// wengert's exceptions as Python exceptions. Each is a wengert.Error and also the
// built-in a Python user would catch: a shape or usage error is a ValueError, a
// file error an OSError, a non-finite value a FloatingPointError. A wrong dtype or
// layout of an array is a TypeError or ValueError raised by the bindings themselves.
#include <wengert/error.hpp>

#include "bindings.hpp"

namespace wengert::python {

namespace {

// The classes, for the translator (a plain function: it cannot capture them).
struct Classes {
  PyObject *error, *shape, *usage, *io, *smooth, *finite, *divergence;
};
Classes classes;

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const ShapeError& e) {
    PyErr_SetString(classes.shape, e.what());
  } catch (const UsageError& e) {
    PyErr_SetString(classes.usage, e.what());
  } catch (const IoError& e) {
    PyErr_SetString(classes.io, e.what());
  } catch (const NonSmoothError& e) {
    PyErr_SetString(classes.smooth, e.what());
  } catch (const NonFiniteError& e) {
    PyErr_SetString(classes.finite, e.what());
  } catch (const DivergenceError& e) {
    PyErr_SetString(classes.divergence, e.what());
  } catch (const Error& e) {
    PyErr_SetString(classes.error, e.what());
  }
}

// A new exception class `wengert.<name>` with the given bases, added to the module.
PyObject* exception_class(py::module_& m, const char* name, std::initializer_list<PyObject*> bases, const char* doc) {
  py::tuple base_tuple(bases.size());
  std::size_t i = 0;
  for (PyObject* b : bases) base_tuple[i++] = py::reinterpret_borrow<py::object>(b);
  const std::string qualified = std::string("wengert.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base_tuple.ptr(), nullptr);
  if (!cls) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(cls));
  return cls;  // the module holds a reference for as long as the interpreter runs
}

}  // namespace

void bind_errors(py::module_& m) {
  Classes& c = classes;
  c.error = exception_class(m, "Error", {PyExc_Exception}, "Base of every wengert error.");
  c.shape = exception_class(m, "ShapeError", {c.error, PyExc_ValueError}, "Operands or arrays of the wrong shape.");
  c.usage = exception_class(m, "UsageError", {c.error, PyExc_ValueError},
                            "A tape or a function used wrongly: an unknown name, a missing input, a bad value.");
  c.io = exception_class(m, "IoError", {c.error, PyExc_OSError}, "A file that cannot be read or written.");
  c.smooth = exception_class(m, "NonSmoothError", {c.error, PyExc_ArithmeticError},
                             "A derivative that does not exist (relu or abs twice).");
  c.finite = exception_class(m, "NonFiniteError", {c.error, PyExc_FloatingPointError},
                             "A NaN or infinity where a finite value is needed.");
  c.divergence = exception_class(m, "DivergenceError", {c.error, PyExc_ArithmeticError},
                                 "An iteration that diverged: the message names the step.");
  py::register_exception_translator(&translate);
}

}  // namespace wengert::python
