// The parts of the MLP potentials (layers.hpp).
#include "nn/layers.hpp"

#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::detail {

namespace {

Var activate(nn::Activation a, Var z) {
  switch (a) {
    case nn::Activation::tanh: return tanh(z);
    case nn::Activation::softplus: return softplus(z);
    case nn::Activation::silu: return silu(z);
    case nn::Activation::relu: return relu(z);
  }
  return z;
}

void check_mlp(const char* who, const std::vector<Dim>& widths, nn::Activation activation, double confinement,
               bool second_order) {
  if (widths.size() < 2 || widths.back() != 1)
    throw UsageError(fmt::format("{}: widths [{}] must start with the dimension d and end with 1, e.g. [2, 64, 64, 1]",
                                 who, fmt::join(widths, ", ")));
  for (Dim w : widths)
    if (w < 1) throw UsageError(fmt::format("{}: width {} in [{}] is not positive", who, w, fmt::join(widths, ", ")));
  if (activation == nn::Activation::relu && second_order)
    throw UsageError(
        fmt::format("{}: relu has no second derivative (its Laplacian is zero almost everywhere), so a "
                    "score-matching loss would see no curvature; use softplus, silu or tanh",
                    who));
  if (!(confinement >= 0)) throw UsageError(fmt::format("{}: confinement {} must be >= 0", who, confinement));
}

}  // namespace

void add_block(nn::Potential& phi, const std::string& name, Dim rows, Dim cols) {
  const std::size_t offset = phi.parameter_count();
  phi.blocks.push_back({name, static_cast<std::size_t>(rows), static_cast<std::size_t>(cols), offset});
}

Var mlp_layers(Recorder& rec, nn::Potential& phi, Var h, const std::vector<Dim>& widths, Dim first_width) {
  Dim in = first_width;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const std::string w = fmt::format("W{}", l + 1), b = fmt::format("b{}", l + 1);
    Var z = matmul(h, rec.parameter(w, in, widths[l + 1]));
    add_block(phi, w, in, widths[l + 1]);
    const bool hidden = l + 2 < widths.size();
    if (hidden || phi.output_bias) {
      z = z + rec.parameter(b, 1, widths[l + 1]);
      add_block(phi, b, 1, widths[l + 1]);
    }
    if (hidden) z = activate(phi.activation, z);
    h = z;
    in = widths[l + 1];
  }
  return h;
}

void finish_potential(Recorder& rec, nn::Potential& phi, Var x, Var h) {
  if (phi.confinement > 0) h = h + (0.5 * phi.confinement) * sum_cols(square(x));
  rec.output("phi", h);
  phi.tape = rec.finish();
}

nn::Potential described_mlp(const char* kind, const std::vector<Dim>& widths, nn::Activation activation,
                            double confinement, bool second_order) {
  check_mlp(kind, widths, activation, confinement, second_order);
  nn::Potential phi;
  phi.kind = kind;
  phi.widths = widths;
  phi.activation = activation;
  phi.confinement = confinement;
  return phi;
}

}  // namespace wengert::detail
