// MAP estimation with a learned prior, and diffusion: forward operators, the
// MAP solver, time-conditioned potentials, their training and the samplers.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <wengert/diffusion/laws.hpp>
#include <wengert/diffusion/sample.hpp>
#include <wengert/diffusion/train.hpp>
#include <wengert/solvers/map.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace wengert::python {

namespace {

void bind_map(py::module_& m) {
  py::class_<solvers::ForwardOperator>(m, "ForwardOperator",
                                       "F of an inverse problem: a tape from x (B, n) to y (B, m)")
      .def_readonly("tape", &solvers::ForwardOperator::tape)
      .def_readonly("n", &solvers::ForwardOperator::n)
      .def_readonly("m", &solvers::ForwardOperator::m)
      .def("__call__", [](const solvers::ForwardOperator& f, const py::handle& x) {
        return to_array(solvers::apply(f, to_matrix(x, "ForwardOperator(x)")));
      });
  m.def(
      "dense_operator", [](const py::handle& a) { return solvers::dense_operator(to_matrix(a, "dense_operator(A)")); },
      py::arg("A"), "y = A x");
  m.def("convolution_operator", &solvers::convolution_operator, py::arg("n"), py::arg("kernel"),
        "y = k * x, a 1-D blur with an odd-length kernel");
  m.def("mask_operator", &solvers::mask_operator, py::arg("mask"), "y = x where mask is 1, 0 elsewhere");
  m.def("subsample_operator", &solvers::subsample_operator, py::arg("n"), py::arg("stride"),
        "every stride-th entry of x");
  m.def(
      "taped_operator",
      [](const Tape& forward, const std::map<std::string, py::handle>& constants) {
        std::vector<std::pair<std::string, Matrix<double>>> values;
        for (const auto& [name, value] : constants)
          values.emplace_back(name, to_matrix(value, "taped_operator(" + name + ")"));
        return solvers::taped_operator(forward, std::move(values));
      },
      py::arg("forward"), py::arg("constants") = std::map<std::string, py::handle>{},
      "any recorded map from x (B, n) to y (B, m); its constants by name");
  m.def(
      "solve_map",
      [](const solvers::ForwardOperator& forward, double sigma, const nn::Potential& prior, const py::handle& theta,
         const py::handle& b, const py::object& x0, double step, bool nesterov, std::size_t max_iterations,
         double gradient_tolerance, double relative_tolerance, int threads) {
        const solvers::MapProblem problem{forward, sigma, prior, to_vector(theta, "solve_map(theta)")};
        const Matrix<double> rows = to_matrix(b, "solve_map(b)");
        const Matrix<double> start =
            x0.is_none() ? Matrix<double>(rows.rows(), forward.n) : to_matrix(x0, "solve_map(x0)");
        const solvers::MapOptions options{step,   nesterov, max_iterations, gradient_tolerance, relative_tolerance,
                                          threads};
        solvers::MapResult r;
        {
          py::gil_scoped_release free;
          r = solvers::solve_map(problem, rows, start, options);
        }
        py::dict out;
        out["x"] = to_array(r.x);
        out["iterations"] = r.iterations;
        out["gradient_norm"] = r.gradient_norm;
        out["objective"] = r.objective;
        out["converged"] = r.converged;
        return out;
      },
      py::arg("forward"), py::arg("sigma"), py::arg("prior"), py::arg("theta"), py::arg("b"), py::kw_only(),
      py::arg("x0") = py::none(), py::arg("step") = 0.0, py::arg("nesterov") = false, py::arg("max_iterations") = 1000,
      py::arg("gradient_tolerance") = 1e-8, py::arg("relative_tolerance") = 0.0, py::arg("threads") = 1,
      "min over x of ‖F(x) - b‖²/(2 sigma²) + phi(x) for each row of b; returns {x, iterations, converged, ...}");
}

void bind_diffusion(py::module_& m) {
  m.def(
      "time_mlp",
      [](const std::vector<Dim>& widths, const std::string& activation, std::size_t frequencies, double confinement) {
        return nn::time_mlp(widths, nn::activation_from(activation), frequencies, confinement);
      },
      py::arg("widths"), py::arg("activation") = "tanh", py::arg("frequencies") = 4, py::arg("confinement") = 0.0,
      "a time-conditioned MLP potential phi(x, t)");
  m.def(
      "edm_mlp",
      [](const std::vector<Dim>& widths, const std::string& activation, std::size_t frequencies, double sigma_data) {
        return nn::edm_mlp(widths, nn::activation_from(activation), frequencies, sigma_data);
      },
      py::arg("widths"), py::arg("activation") = "silu", py::arg("frequencies") = 4, py::arg("sigma_data") = 1.0,
      "a time-conditioned potential with EDM's noise-level scaling");
  m.def(
      "train_diffusion",
      [](const nn::Potential& phi, const py::handle& theta0, const py::handle& data, const std::string& loss,
         std::size_t steps, std::size_t batch, double learning_rate, std::size_t warmup, const std::string& keep,
         double sigma_min, double sigma_max, std::uint64_t seed, int threads, const py::object& callback) {
        diffusion::TrainOptions o;
        o.loss = diffusion::loss_from(loss);
        o.steps = steps;
        o.batch = batch;
        o.learning_rate = learning_rate;
        o.warmup = warmup;
        o.keep = nn::keep_from(keep);
        o.sigma_min = sigma_min;
        o.sigma_max = sigma_max;
        o.seed = seed;
        o.threads = threads;
        if (!callback.is_none())
          o.report = [callback](std::size_t step, double value) {
            py::gil_scoped_acquire hold;
            callback(step, value);
          };
        std::vector<double> theta = to_vector(theta0, "train_diffusion(theta0)");
        const score::Dataset* stream =
            py::isinstance<score::Dataset>(data) ? &data.cast<const score::Dataset&>() : nullptr;
        const Matrix<double> rows = stream ? Matrix<double>() : to_matrix(data, "train_diffusion(data)");
        {
          py::gil_scoped_release free;  // taken back by the callback; arrays are made after
          theta = stream ? diffusion::train(phi, std::move(theta), *stream, o)
                         : diffusion::train(phi, std::move(theta), rows, o);
        }
        return to_array(theta);
      },
      py::arg("phi"), py::arg("theta0"), py::arg("data"), py::kw_only(), py::arg("loss") = "denoising",
      py::arg("steps") = 4000, py::arg("batch") = 256, py::arg("learning_rate") = 2e-3, py::arg("warmup") = 0,
      py::arg("keep") = "last", py::arg("sigma_min") = 0.002, py::arg("sigma_max") = 80.0, py::arg("seed") = 1,
      py::arg("threads") = 1, py::arg("callback") = py::none(),
      "score matching over the noise levels of x_t = sqrt(t) x + sqrt(1 - t) z; returns theta");
  m.def(
      "sample",
      [](const nn::Potential& phi, const py::handle& theta, std::size_t n, const std::string& sampler,
         std::size_t evaluations, double sigma_min, double sigma_max, double data_scale, std::uint64_t seed,
         int threads) {
        const std::vector<double> parameters = to_vector(theta, "sample(theta)");  // viewed by the score below
        const diffusion::ScoreField score = diffusion::learned_score(phi, parameters, threads);
        diffusion::SampleOptions o;
        o.evaluations = evaluations;
        o.sigma_min = sigma_min;
        o.sigma_max = sigma_max;
        o.data_scale = data_scale;
        o.seed = seed;
        const diffusion::Sampler kind = diffusion::sampler_from(sampler);
        Matrix<double> x;
        {
          py::gil_scoped_release free;
          x = diffusion::sample(kind, score, n, static_cast<std::size_t>(phi.dim()), o);
        }
        return to_array(x);
      },
      py::arg("phi"), py::arg("theta"), py::arg("n"), py::kw_only(), py::arg("sampler") = "sde",
      py::arg("evaluations") = 50, py::arg("sigma_min") = 0.002, py::arg("sigma_max") = 80.0,
      py::arg("data_scale") = 0.0, py::arg("seed") = 1, py::arg("threads") = 1,
      "n samples of a time-conditioned potential's model: heun, dpm, sde or langevin");
}

}  // namespace

void bind_solvers(py::module_& m) {
  bind_map(m);
  bind_diffusion(m);
}

}  // namespace wengert::python
