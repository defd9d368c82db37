// The layers above the engine: potentials with their theta as a NumPy array,
// model files (the command line's), data sets, and score matching.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <wengert/nn/model_file.hpp>
#include <wengert/nn/potential.hpp>
#include <wengert/score/data.hpp>
#include <wengert/score/train.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace wengert::python {

namespace {

void check_theta(const nn::Potential& phi, const std::vector<double>& theta, const std::string& where) {
  if (theta.size() != phi.parameter_count())
    throw py::value_error(where + ": theta has " + std::to_string(theta.size()) + " values; this " + phi.kind +
                          " potential has " + std::to_string(phi.parameter_count()) + " parameters");
}

py::array_t<double> score_at(const nn::Potential& phi, const py::handle& theta_in, const py::handle& x_in) {
  const std::vector<double> theta = to_vector(theta_in, "Potential.score(theta)");
  check_theta(phi, theta, "Potential.score");
  const Matrix<double> x = to_matrix(x_in, "Potential.score(x)");
  nn::ScoreProgram score(phi, theta);
  return to_array(score(x));
}

py::array_t<double> import_layers(const nn::Potential& phi, const py::list& layers) {
  std::vector<nn::LinearLayer> in;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string where = "import_linear_layers(layer " + std::to_string(i) + ")";
    auto pair = layers[i].cast<py::tuple>();
    if (pair.size() != 2) throw py::value_error(where + ": give (weight, bias), bias None for none");
    nn::LinearLayer layer{to_matrix(pair[0], where + " weight"), {}};
    if (!pair[1].is_none()) layer.bias = to_vector(pair[1], where + " bias");
    in.push_back(std::move(layer));
  }
  return to_array(nn::import_linear_layers(phi, in));
}

void bind_potentials(py::module_& m) {
  py::class_<nn::Potential>(m, "Potential", "A potential phi(x; theta): its tape, architecture and theta's layout.")
      .def_readonly("kind", &nn::Potential::kind)
      .def_readonly("widths", &nn::Potential::widths)
      .def_readonly("tape", &nn::Potential::tape)
      .def_property_readonly("dim", &nn::Potential::dim, "d, the dimension of x")
      .def_property_readonly("parameter_count", &nn::Potential::parameter_count, "the length of theta")
      .def_property_readonly(
          "blocks",
          [](const nn::Potential& phi) {
            py::list out;
            for (const nn::Block& b : phi.blocks) out.append(py::make_tuple(b.name, b.rows, b.cols, b.offset));
            return out;
          },
          "[(name, rows, cols, offset in theta)]")
      .def(
          "initial_parameters",
          [](const nn::Potential& phi, std::uint64_t seed) { return to_array(nn::initial_parameters(phi, seed)); },
          py::arg("seed") = 1, "seeded initial theta")
      .def("score", &score_at, py::arg("theta"), py::arg("x"), "the score -∇x phi at the rows of x")
      .def("import_linear_layers", &import_layers, py::arg("layers"),
           "theta from [(weight (out, in), bias or None)] as PyTorch's nn.Linear stores them")
      .def("__repr__", [](const nn::Potential& phi) {
        return "Potential(" + phi.kind + ", d = " + std::to_string(phi.dim()) + ", " +
               std::to_string(phi.parameter_count()) + " parameters)";
      });
  m.def(
      "mlp",
      [](const std::vector<Dim>& widths, const std::string& activation, double confinement, bool output_bias) {
        return nn::mlp(widths, nn::activation_from(activation), confinement, true, output_bias);
      },
      py::arg("widths"), py::arg("activation") = "tanh", py::arg("confinement") = 0.0, py::arg("output_bias") = false,
      "an MLP potential [d, h..., 1] (tanh, softplus or silu)");
  m.def("quadratic", &nn::quadratic, py::arg("d"), "½(x - mu)ᵀ L Lᵀ (x - mu): a Gaussian");
  m.def("custom_potential", &nn::custom_potential, py::arg("tape"),
        "a potential from a tape with data input 'x' and output 'phi' (B, 1)");
  m.def(
      "save_model",
      [](const std::string& path, const nn::Potential& phi, const py::handle& theta) {
        const std::vector<double> t = to_vector(theta, "save_model(theta)");
        check_theta(phi, t, "save_model");
        nn::save_model(path, phi, t);
      },
      py::arg("path"), py::arg("phi"), py::arg("theta"), "writes a model file (atomically), as wengert train does");
  m.def(
      "load_model",
      [](const std::string& path) {
        auto [phi, theta] = nn::load_model(path);
        return py::make_tuple(std::move(phi), to_array(theta));
      },
      py::arg("path"), "(phi, theta) from a model file");
}

void bind_data(py::module_& m) {
  py::class_<score::Dataset>(m, "Dataset", "A data set with what is known about it exactly.")
      .def_readonly("name", &score::Dataset::name)
      .def_readonly("dim", &score::Dataset::dim)
      .def_readonly("region_mass", &score::Dataset::region_mass)
      .def(
          "sample",
          [](const score::Dataset& d, std::size_t n, std::uint64_t seed) { return to_array(d.sample(n, seed)); },
          py::arg("n"), py::arg("seed") = 1, "n exact samples, reproducible from the seed")
      .def(
          "score",
          [](const score::Dataset& d, const py::handle& x) -> py::object {
            if (!d.score) return py::none();
            return to_array(d.score(to_matrix(x, "Dataset.score(x)")));
          },
          py::arg("x"), "the true score at the rows of x (None when unknown)")
      .def(
          "log_density",
          [](const score::Dataset& d, const py::handle& x) -> py::object {
            if (!d.log_density) return py::none();
            return to_array(d.log_density(to_matrix(x, "Dataset.log_density(x)")));
          },
          py::arg("x"), "the true log-density at the rows of x (None when unknown)");
  m.def("dataset", &score::dataset, py::arg("name"), py::arg("noise") = py::none(),
        "a built-in data set: gaussian, ring8, two_moons, rings, checkerboard, swiss_roll");
  m.def("dataset_names", &score::dataset_names);
}

}  // namespace

void bind_training(py::module_& m);  // training.cpp

void bind_layers(py::module_& m) {
  bind_potentials(m);
  bind_data(m);
  bind_training(m);
}

}  // namespace wengert::python
