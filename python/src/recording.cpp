// Recording from Python: a Recorder declares inputs, Vars carry the operators
// and functions of the C++ API, and the finished Tape prints as its Wengert list.
// A shape is a tuple (rows, cols) with rows None for the batch of samples.
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <optional>
#include <wengert/print.hpp>
#include <wengert/tape.hpp>
#include <wengert/tape_file.hpp>

#include "bindings.hpp"

namespace wengert::python {

namespace {

using Rows = std::optional<Dim>;  // None: the batch

Dim rows_of(Rows r) { return r ? *r : batch; }
py::tuple shape_tuple(Shape s) {
  return py::make_tuple(s.rows == batch ? py::object(py::none()) : py::object(py::int_(s.rows)), s.cols);
}

std::string var_repr(const Var& v) {
  return "Var(node " + std::to_string(v.id()) + ", shape " + to_string(v.shape()) + ")";
}

std::string tape_repr(const Tape& t) {
  std::string s = "Tape(" + std::to_string(t.nodes().size()) + " nodes; inputs";
  for (const Input& in : t.inputs()) s += " " + in.name + " " + to_string(in.shape);
  s += "; outputs";
  for (const Output& out : t.outputs()) s += " " + out.name;
  return s + ")";
}

void bind_var(py::module_& m) {
  py::class_<Var>(m, "Var", "A value being recorded: compute with it as with a matrix (rows are samples).")
      .def_property_readonly(
          "shape", [](const Var& v) { return shape_tuple(v.shape()); }, "(rows, cols), rows None for the batch")
      .def_property_readonly("id", &Var::id, "its node's index in the tape")
      .def_property_readonly(
          "T", [](Var a) { return transpose(a); }, "the transpose")
      .def("__repr__", &var_repr)
      .def(py::self + py::self)
      .def(py::self - py::self)
      .def(py::self * py::self)
      .def(py::self / py::self)
      .def(-py::self)
      .def(py::self + double())
      .def(double() + py::self)
      .def(py::self - double())
      .def(double() - py::self)
      .def(py::self * double())
      .def(double() * py::self)
      .def(py::self / double())
      .def(double() / py::self)
      .def("__matmul__", [](Var a, Var b) { return matmul(a, b); })
      .def("__pow__", [](Var a, double p) { return pow(a, p); })
      .def("__bool__", [](const Var&) -> bool {
        throw py::type_error("a Var has no truth value while recording: a tape cannot branch on its values");
      });
}

void bind_functions(py::module_& m) {
  m.def(
      "square", [](Var a) { return square(a); }, "a², entry by entry");
  m.def(
      "sqrt", [](Var a) { return sqrt(a); }, "√a, entry by entry");
  m.def(
      "exp", [](Var a) { return exp(a); }, "e^a, entry by entry");
  m.def(
      "log", [](Var a) { return log(a); }, "log a, entry by entry");
  m.def(
      "log1p", [](Var a) { return log1p(a); }, "log(1 + a), entry by entry");
  m.def(
      "tanh", [](Var a) { return tanh(a); }, "tanh a, entry by entry");
  m.def(
      "sigmoid", [](Var a) { return sigmoid(a); }, "1 / (1 + e^-a), entry by entry");
  m.def(
      "softplus", [](Var a) { return softplus(a); }, "log(1 + e^a), without overflow");
  m.def(
      "silu", [](Var a) { return silu(a); }, "a sigmoid(a)");
  m.def(
      "sin", [](Var a) { return sin(a); }, "sin a, entry by entry");
  m.def(
      "cos", [](Var a) { return cos(a); }, "cos a, entry by entry");
  m.def(
      "pow", [](Var a, double p) { return pow(a, p); }, "a^p for a constant p");
  m.def(
      "relu", [](Var a) { return relu(a); }, "max(a, 0): differentiable once");
  m.def(
      "abs", [](Var a) { return abs(a); }, "|a|: differentiable once");
  m.def(
      "matmul", [](Var a, Var b) { return matmul(a, b); }, "(r, k) x (k, c) -> (r, c)");
  m.def(
      "transpose", [](Var a) { return transpose(a); }, "(r, c) -> (c, r)");
  m.def(
      "sum_cols", [](Var a) { return sum_cols(a); }, "(r, c) -> (r, 1): per sample");
  m.def(
      "mean_cols", [](Var a) { return mean_cols(a); }, "(r, c) -> (r, 1)");
  m.def(
      "sum_rows", [](Var a) { return sum_rows(a); }, "(r, c) -> (1, c): over the batch");
  m.def(
      "mean_rows", [](Var a) { return mean_rows(a); }, "(r, c) -> (1, c)");
  m.def(
      "dot", [](Var a, Var b) { return dot(a, b); }, "row by row: sum_cols(a * b)");
  m.def(
      "broadcast_rows", [](Var a, Rows rows) { return broadcast_rows(a, rows_of(rows)); }, py::arg("a"),
      py::arg("rows") = py::none(), "(1, c) -> (rows, c); rows None for the batch");
  m.def(
      "broadcast_cols", [](Var a, Dim cols) { return broadcast_cols(a, cols); }, "(r, 1) -> (r, cols)");
  m.def(
      "concat_cols", [](Var a, Var b) { return concat_cols(a, b); }, "[a, b]");
  m.def(
      "slice_cols", [](Var a, Dim begin, Dim count) { return slice_cols(a, begin, count); },
      "columns begin .. begin + count - 1");
}

void bind_recorder(py::module_& m) {
  py::class_<Recorder>(m, "Recorder", "A recording scope: declare inputs, compute with Vars, name outputs, finish().")
      .def(py::init<>())
      .def("data", &Recorder::data, py::arg("name"), py::arg("cols"), "a data input: one row per sample")
      .def("parameter", &Recorder::parameter, py::arg("name"), py::arg("rows"), py::arg("cols"),
           "a parameter shared by every row")
      .def("constant", &Recorder::constant, py::arg("name"), py::arg("rows"), py::arg("cols"),
           "a constant input, shared, not meant to be differentiated")
      .def(
          "fill",
          [](Recorder& r, double value, Rows rows, Dim cols) {
            return r.fill(value, {rows_of(rows), cols});
          },
          py::arg("value"), py::arg("rows"), py::arg("cols"), "a tensor of equal entries (rows None: the batch)")
      .def(
          "call",
          [](Recorder& r, const Tape& tape, const std::map<std::string, Var>& args) {
            return r.call(tape, {args.begin(), args.end()});
          },
          py::arg("tape"), py::arg("args"), "inline a tape, its inputs bound by name; returns its outputs")
      .def("output", &Recorder::output, py::arg("name"), py::arg("value"), "names a value as an output")
      .def("finish", &Recorder::finish, "ends the recording and returns the tape");
}

void bind_tape(py::module_& m) {
  py::class_<Tape>(m, "Tape", "A recorded program (a Wengert list): print it, transform it, plan it.")
      .def("__str__", [](const Tape& t) { return to_string(t); })
      .def("__repr__", &tape_repr)
      .def("__len__", [](const Tape& t) { return t.nodes().size(); })
      .def(
          "dot", [](const Tape& t) { return to_dot(t); }, "the tape as a Graphviz digraph")
      .def(
          "text", [](const Tape& t) { return tape_text(t); }, "the tape file's text")
      .def(
          "save", [](const Tape& t, const std::string& path) { save_tape(path, t); }, py::arg("path"),
          "writes the tape file (atomically)")
      .def_property_readonly(
          "inputs",
          [](const Tape& t) {
            py::list out;
            for (const Input& in : t.inputs())
              out.append(py::make_tuple(in.name, std::string(role_name(in.role)), shape_tuple(in.shape)));
            return out;
          },
          "[(name, role, shape)]")
      .def_property_readonly(
          "outputs",
          [](const Tape& t) {
            py::list out;
            for (const Output& o : t.outputs()) out.append(o.name);
            return out;
          },
          "the outputs' names")
      .def(py::pickle([](const Tape& t) { return tape_text(t); },
                      [](const std::string& text) { return parse_tape(text, "pickled tape"); }));
  m.def("load_tape", &load_tape, py::arg("path"), "reads a tape file (checked node by node)");
}

}  // namespace

void bind_recording(py::module_& m) {
  bind_var(m);
  bind_functions(m);
  bind_recorder(m);
  bind_tape(m);
}

}  // namespace wengert::python
