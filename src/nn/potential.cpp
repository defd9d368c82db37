// MLP and quadratic potentials as tapes, and their parameter vectors.
#include "wengert/nn/potential.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <fmt/format.h>

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
void Potential::gather_gradient(const Program<double>& program, std::span<double> gradient) const {
  if (gradient.size() != parameter_count())
    throw ShapeError(
        fmt::format("Potential::gather_gradient: {} entries for {} parameters", gradient.size(), parameter_count()));
  for (const Block& b : blocks) {
    MatrixView<const double> bar = program.get(b.name + "_bar");
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

template void Potential::bind<double>(Program<double>&, std::span<const double>) const;
template void Potential::bind<float>(Program<float>&, std::span<const float>) const;

namespace {
Var activate(Activation a, Var z) {
  switch (a) {
    case Activation::tanh: return tanh(z);
    case Activation::softplus: return softplus(z);
    case Activation::silu: return silu(z);
    case Activation::relu: return relu(z);
  }
  return z;
}

void add_block(Potential& phi, const std::string& name, Dim rows, Dim cols) {
  const std::size_t offset = phi.parameter_count();
  phi.blocks.push_back({name, static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), offset});
}
}  // namespace

namespace {
// The layers of an MLP on `h`, recording its blocks into phi: hidden layers with
// bias and activation, a linear output layer.
Var mlp_layers(Recorder& rec, Potential& phi, Var h, const std::vector<Dim>& widths, Dim first_width) {
  Dim in = first_width;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const std::string w = fmt::format("W{}", l + 1), b = fmt::format("b{}", l + 1);
    Var z = matmul(h, rec.parameter(w, in, widths[l + 1]));
    add_block(phi, w, in, widths[l + 1]);
    if (l + 2 < widths.size()) {
      z = z + rec.parameter(b, 1, widths[l + 1]);
      add_block(phi, b, 1, widths[l + 1]);
      z = activate(phi.activation, z);
    }
    h = z;
    in = widths[l + 1];
  }
  return h;
}

void check_mlp(const char* who, const std::vector<Dim>& widths, Activation activation, double confinement,
               bool second_order) {
  if (widths.size() < 2 || widths.back() != 1)
    throw UsageError(fmt::format("{}: widths [{}] must start with the dimension d and end with 1, e.g. [2, 64, 64, 1]",
                                 who, fmt::join(widths, ", ")));
  for (Dim w : widths)
    if (w < 1) throw UsageError(fmt::format("{}: width {} in [{}] is not positive", who, w, fmt::join(widths, ", ")));
  if (activation == Activation::relu && second_order)
    throw UsageError(
        fmt::format("{}: relu has no second derivative (its Laplacian is zero almost everywhere), so a "
                    "score-matching loss would see no curvature; use softplus, silu or tanh",
                    who));
  if (!(confinement >= 0)) throw UsageError(fmt::format("{}: confinement {} must be >= 0", who, confinement));
}

// The common end of both MLPs: the confining term, the output, the tape.
void finish_potential(Recorder& rec, Potential& phi, Var x, Var h) {
  if (phi.confinement > 0) h = h + (0.5 * phi.confinement) * sum_cols(square(x));
  rec.output("phi", h);
  phi.tape = rec.finish();
}

// A checked MLP potential's description, before its tape is recorded.
Potential described_mlp(const char* kind, const std::vector<Dim>& widths, Activation activation, double confinement,
                        bool second_order) {
  check_mlp(kind, widths, activation, confinement, second_order);
  Potential phi;
  phi.kind = kind;
  phi.widths = widths;
  phi.activation = activation;
  phi.confinement = confinement;
  return phi;
}

}  // namespace

Potential mlp(const std::vector<Dim>& widths, Activation activation, double confinement, bool second_order) {
  Potential phi = described_mlp("mlp", widths, activation, confinement, second_order);
  Recorder rec;
  Var x = rec.data("x", widths.front());
  finish_potential(rec, phi, x, mlp_layers(rec, phi, x, widths, widths.front()));
  return phi;
}

namespace {
// The smallest noise variance time_mlp tells apart: tau = log(1 - t + floor) / log(floor) is 1 at t = 1.
constexpr double variance_floor = 1e-4;
}  // namespace

Potential time_mlp(const std::vector<Dim>& widths, Activation activation, std::size_t frequencies, double confinement) {
  Potential phi = described_mlp("time_mlp", widths, activation, confinement, false);
  phi.time_features = frequencies;
  Recorder rec;
  Var x = rec.data("x", widths.front());
  Var t = rec.data("t", 1);
  // Time as tau = log(1 - t + floor) / log(floor), the log of the noise variance scaled to [0, 1]:
  // the score changes fastest near t = 1, where the noise vanishes, and tau spreads that end out.
  Var tau = log(1.0 + variance_floor - t) * (1.0 / std::log(variance_floor));
  Var features = concat_cols(x, tau);  // [x, tau, sin πk tau, cos πk tau, ...]
  for (std::size_t k = 1; k <= frequencies; ++k) {
    Var angle = tau * (std::numbers::pi * double(k));
    features = concat_cols(concat_cols(features, sin(angle)), cos(angle));
  }
  const Dim width = widths.front() + 1 + 2 * static_cast<Dim>(frequencies);
  finish_potential(rec, phi, x, mlp_layers(rec, phi, features, widths, width));
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
  add_block(phi, "mu", 1, d);
  add_block(phi, "L", d, d);
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
    if (in.name == "x") continue;
    if (in.shape.rows == batch)
      throw UsageError(fmt::format("custom_potential: input '{}' has a row per sample; only \"x\" may", in.name));
    add_block(phi, in.name, in.shape.rows, in.shape.cols);
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
    const double scale = 1.0 / std::sqrt(double(b.rows));
    for (std::size_t i = 0; i < b.rows * b.cols; ++i) theta[b.offset + i] = scale * normal(rng);
  }
  return theta;
}

}  // namespace wengert::nn
