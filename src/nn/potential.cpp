// MLP and quadratic potentials as tapes, and their parameter vectors (the
// time-conditioned ones are in time_potentials.cpp).
#include "wengert/nn/potential.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <fmt/format.h>

#include "nn/layers.hpp"
#include "support/names.hpp"
#include "wengert/ad.hpp"
#include "wengert/error.hpp"

namespace wengert::nn {

namespace {
constexpr detail::Names<Activation, 4> activations{"activation",
                                                   {{{Activation::tanh, "tanh"},
                                                     {Activation::softplus, "softplus"},
                                                     {Activation::silu, "silu"},
                                                     {Activation::relu, "relu"}}}};
}  // namespace

std::string to_string(Activation a) { return activations.name(a); }
Activation activation_from(const std::string& name) { return activations.parse(name); }

template <class T>
void Potential::bind(Program<T>& program, std::span<const T> theta) const {
  if (theta.size() != parameter_count())
    throw ShapeError(fmt::format("Potential::bind: theta has {} entries; this {} potential has {} parameters",
                                 theta.size(), kind, parameter_count()));
  for (const Block& b : blocks)
    if (program.tape().has_input(b.name))
      program.set(b.name, MatrixView<const T>{theta.data() + b.offset, b.rows, b.cols});
}
template <class T>
void Potential::gather_gradient(const Program<T>& program, std::type_identity_t<std::span<T>> gradient) const {
  if (gradient.size() != parameter_count())
    throw ShapeError(
        fmt::format("Potential::gather_gradient: {} entries for {} parameters", gradient.size(), parameter_count()));
  for (const Block& b : blocks) {
    MatrixView<const T> bar = program.get(b.name + "_bar");
    std::copy_n(bar.data, b.rows * b.cols, gradient.begin() + static_cast<std::ptrdiff_t>(b.offset));
  }
}

std::vector<std::pair<std::string, Var>> Potential::record_parameters(Recorder& rec) const {
  std::vector<std::pair<std::string, Var>> args;
  for (const Block& b : blocks)
    args.emplace_back(b.name, rec.parameter(b.name, static_cast<Dim>(b.rows), static_cast<Dim>(b.cols)));
  return args;
}

ScoreProgram::ScoreProgram(const Potential& phi, std::span<const double> theta, int threads)
    : phi_(&phi), program_(grad(phi.tape, {"x"}, "phi"), {"x_bar"}, {.threads = threads}) {
  bind(theta);
}

void ScoreProgram::bind(std::span<const double> theta) { phi_->bind(program_, theta); }

Matrix<double> ScoreProgram::operator()(const Matrix<double>& x) {
  program_.set("x", x);
  program_.run();
  Matrix<double> s = to_matrix(program_.get("x_bar"));
  for (std::size_t i = 0; i < s.rows() * s.cols(); ++i) s.data()[i] = -s.data()[i];
  return s;
}

Matrix<double> ScoreProgram::operator()(const Matrix<double>& x, double t) {
  if (!program_.tape().has_input("t"))
    throw UsageError("ScoreProgram: the potential has no time input \"t\"; call it without a level");
  if (t_.rows() != x.rows()) t_ = Matrix<double>(x.rows(), 1);
  std::fill(t_.data(), t_.data() + x.rows(), t);
  program_.set("t", t_);
  return (*this)(x);
}

template void Potential::gather_gradient<double>(const Program<double>&, std::span<double>) const;
template void Potential::gather_gradient<float>(const Program<float>&, std::span<float>) const;
template void Potential::bind<double>(Program<double>&, std::span<const double>) const;
template void Potential::bind<float>(Program<float>&, std::span<const float>) const;

Potential mlp(const std::vector<Dim>& widths, Activation activation, double confinement, bool second_order,
              bool output_bias) {
  Potential phi = detail::described_mlp("mlp", widths, activation, confinement, second_order);
  phi.output_bias = output_bias;
  Recorder rec;
  Var x = rec.data("x", widths.front());
  detail::finish_potential(rec, phi, x, detail::mlp_layers(rec, phi, x, widths, widths.front()));
  return phi;
}

Potential quadratic(Dim d) {
  if (d < 1) throw UsageError(fmt::format("quadratic: dimension {} is not positive", d));
  Potential phi;
  phi.kind = "quadratic";
  phi.widths = {d};
  Recorder rec;
  Var x = rec.data("x", d);
  Var mu = rec.parameter("mu", 1, d), L = rec.parameter("L", d, d);
  detail::add_block(phi, "mu", 1, d);
  detail::add_block(phi, "L", d, d);
  Var z = matmul(x - mu, L);  // ½‖(x - mu) L‖² = ½ (x - mu)ᵀ L Lᵀ (x - mu)
  rec.output("phi", 0.5 * dot(z, z));
  phi.tape = rec.finish();
  return phi;
}

Potential custom_potential(Tape tape) {
  if (!tape.has_input("x") || tape.inputs()[tape.input_index("x")].shape.rows != batch)
    throw UsageError("custom_potential: the tape needs a data input \"x\" (Recorder::data)");
  const Shape out = tape.node(tape.outputs()[tape.output_index("phi")].node).shape;
  if (out.rows != batch || out.cols != 1)
    throw ShapeError(fmt::format("custom_potential: output 'phi' has shape {}; it must be (B, 1)", to_string(out)));
  Potential phi;
  phi.kind = "custom";
  phi.widths = {tape.inputs()[tape.input_index("x")].shape.cols};
  for (const Input& in : tape.inputs()) {
    if (in.name == "x" || (in.name == "t" && in.shape.cols == 1)) continue;  // t: a time-conditioned potential
    if (in.shape.rows == batch)
      throw UsageError(fmt::format(
          "custom_potential: input '{}' has a row per sample; only \"x\" and the level \"t\" (B, 1) may", in.name));
    detail::add_block(phi, in.name, in.shape.rows, in.shape.cols);
  }
  phi.tape = std::move(tape);
  return phi;
}

std::vector<double> initial_parameters(const Potential& phi, std::uint64_t seed) {
  std::vector<double> theta(phi.parameter_count(), 0.0);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  for (const Block& b : phi.blocks) {
    if (phi.kind == "quadratic") {
      if (b.name == "L")
        for (std::size_t i = 0; i < b.rows; ++i) theta[b.offset + i * b.cols + i] = 1.0;
      continue;
    }
    if (b.name[0] != 'W') continue;  // biases start at zero
    // edm_mlp's output layer starts at zero: the model starts as the Gaussian of the data's scale.
    if (phi.kind == "edm_mlp" && &b == &phi.blocks.back()) continue;
    const double scale = 1.0 / std::sqrt(double(b.rows));
    for (std::size_t i = 0; i < b.rows * b.cols; ++i) theta[b.offset + i] = scale * normal(rng);
  }
  return theta;
}

}  // namespace wengert::nn
