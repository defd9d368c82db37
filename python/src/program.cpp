// Programs on NumPy arrays. An input is viewed, never copied: set() checks the
// array's dtype, rank and layout, then binds the C++ program to its memory and
// keeps the array alive for as long as it stays bound. Outputs come back as new
// arrays (a program's own buffers change at the next run).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <chrono>
#include <map>
#include <variant>
#include <wengert/program.hpp>

#include "bindings.hpp"

namespace wengert::python {

namespace {

std::string name_of(const py::dtype& d) { return py::str(py::handle(d)).cast<std::string>(); }

// A new array holding a copy of the view.
template <class T>
py::array copy_of(MatrixView<const T> view) {
  py::array_t<T> out(
      std::vector<py::ssize_t>{static_cast<py::ssize_t>(view.rows), static_cast<py::ssize_t>(view.cols)});
  std::copy_n(view.data, view.rows * view.cols, out.mutable_data());
  return out;
}

class PyProgram {
 public:
  PyProgram(const Tape& tape, std::vector<std::string> outputs, const py::object& dtype, ProgramOptions options)
      : program_(make(tape, std::move(outputs), py::dtype::from_args(dtype), options)) {}

  void set(const std::string& name, const py::handle& value) {
    std::visit([&](auto& p) { bind(p, name, value); }, program_);
  }

  void run() {
    py::gil_scoped_release free;  // other Python threads run meanwhile; the arrays are kept alive by bound_
    std::visit([](auto& p) { p.run(); }, program_);
  }

  py::array get(const std::string& name) const {
    return std::visit([&](const auto& p) { return copy_of(p.get(name)); }, program_);
  }

  // For benchmarks: seconds per run of the bound program, run n times from C++.
  double time_run(std::size_t n) {
    if (n == 0) throw py::value_error("Program.time_run: n = 0; use at least 1");
    py::gil_scoped_release free;
    const auto start = std::chrono::steady_clock::now();
    std::visit(
        [n](auto& p) {
          for (std::size_t i = 0; i < n; ++i) p.run();
        },
        program_);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / double(n);
  }

  py::dict call(const py::kwargs& inputs) {
    for (const auto& [name, value] : inputs) set(py::cast<std::string>(name), value);
    run();
    py::dict out;
    for (const Output& o : tape().outputs()) out[py::str(o.name)] = get(o.name);
    return out;
  }

  const Tape& tape() const {
    return std::visit([](const auto& p) -> const Tape& { return p.tape(); }, program_);
  }
  std::string describe() const {
    return std::visit([](const auto& p) { return p.describe(); }, program_);
  }
  std::string profile() const {
    return std::visit([](const auto& p) { return p.profile(); }, program_);
  }
  void reset_profile() {
    std::visit([](auto& p) { p.reset_profile(); }, program_);
  }
  py::dtype dtype() const {
    return std::holds_alternative<Program<double>>(program_) ? dtype_of<double>() : dtype_of<float>();
  }

 private:
  using Variant = std::variant<Program<double>, Program<float>>;

  template <class T>
  static py::dtype dtype_of() {
    return py::dtype::of<T>();
  }

  static Variant make(const Tape& tape, std::vector<std::string> outputs, const py::dtype& dtype,
                      ProgramOptions options) {
    if (dtype.equal(dtype_of<double>())) return Program<double>(tape, std::move(outputs), options);
    if (dtype.equal(dtype_of<float>())) return Program<float>(tape, std::move(outputs), options);
    throw py::type_error("Program: dtype " + name_of(dtype) + " is not supported; use numpy.float64 or numpy.float32");
  }

  template <class T>
  void bind(Program<T>& p, const std::string& name, const py::handle& value) {
    const std::string where = "Program.set('" + name + "')";
    if (!py::isinstance<py::array>(value))
      throw py::type_error(where + ": expected a numpy.ndarray, got " +
                           py::str(py::type::of(value).attr("__name__")).cast<std::string>() +
                           "; pass numpy.asarray(value, dtype=" + name_of(dtype_of<T>()) + ")");
    auto array = py::reinterpret_borrow<py::array>(value);
    if (!array.dtype().equal(dtype_of<T>()))
      throw py::type_error(where + ": the array is " + name_of(array.dtype()) + "; this program runs " +
                           name_of(dtype_of<T>()) + ": convert it with .astype(numpy." + name_of(dtype_of<T>()) +
                           ") or plan the program with that dtype");
    if (array.ndim() != 2)
      throw py::value_error(where + ": the array has " + std::to_string(array.ndim()) +
                            " dimensions; pass a 2-D array (rows, cols), e.g. x.reshape(1, -1) for one sample");
    if (!(array.flags() & py::array::c_style))
      throw py::value_error(where +
                            ": the array is not C-contiguous (a transposed or strided view); pass "
                            "numpy.ascontiguousarray(x)");
    const auto* data = static_cast<const T*>(array.data());
    p.set(name, MatrixView<const T>{data, static_cast<std::size_t>(array.shape(0)),
                                    static_cast<std::size_t>(array.shape(1))});
    bound_[name] = std::move(array);  // kept alive while bound
  }

  Variant program_;
  std::map<std::string, py::object> bound_;
};

}  // namespace

void bind_program(py::module_& m) {
  py::class_<ProgramOptions>(m, "ProgramOptions", "How a program runs: threads, chunks, checks, SIMD.")
      .def(py::init<>())
      .def_readwrite("threads", &ProgramOptions::threads)
      .def_readwrite("chunk_rows", &ProgramOptions::chunk_rows)
      .def_readwrite("check_finite", &ProgramOptions::check_finite)
      .def_readwrite("simd", &ProgramOptions::simd)
      .def_readwrite("profile", &ProgramOptions::profile)
      .def_readwrite("fuse", &ProgramOptions::fuse);
  py::class_<PyProgram>(m, "Program",
                        "A tape planned once for float64 or float32 arrays, then run many times. Inputs are "
                        "viewed (no copy) while bound; outputs come back as new arrays.")
      .def(py::init([](const Tape& tape, std::optional<std::vector<std::string>> outputs, const py::object& dtype,
                       int threads, int chunk_rows, bool check_finite, bool simd, bool profile, bool fuse) {
             return PyProgram(tape, outputs.value_or(std::vector<std::string>{}), dtype,
                              {.threads = threads,
                               .chunk_rows = chunk_rows,
                               .check_finite = check_finite,
                               .simd = simd,
                               .profile = profile,
                               .fuse = fuse});
           }),
           py::arg("tape"), py::arg("outputs") = py::none(), py::arg("dtype") = py::str("float64"),
           py::arg("threads") = 1, py::arg("chunk_rows") = 0, py::arg("check_finite") = false, py::arg("simd") = true,
           py::arg("profile") = false, py::arg("fuse") = true)
      .def("profile", &PyProgram::profile, "with profile=True: each step's time per run and share of the time")
      .def("reset_profile", &PyProgram::reset_profile, "starts the profile afresh")
      .def("set", &PyProgram::set, py::arg("name"), py::arg("array"),
           "binds an input to a C-contiguous 2-D array of the program's dtype (viewed, not copied)")
      .def("run", &PyProgram::run, "runs on the bound inputs")
      .def("get", &PyProgram::get, py::arg("name"), "an output of the last run, as a new array")
      .def("__call__", &PyProgram::call, "binds the keyword arguments, runs, returns {output: array}")
      .def_property_readonly("tape", &PyProgram::tape, "the planned tape")
      .def_property_readonly("dtype", &PyProgram::dtype)
      .def("describe", &PyProgram::describe, "a summary of the plan")
      .def("time_run", &PyProgram::time_run, py::arg("n"),
           "for benchmarks: seconds per run of the bound inputs, run n times from C++ (no Python in the loop)");
}

}  // namespace wengert::python
