// Weights from PyTorch: nn.Linear keeps (out, in) and a bias; an MLP potential
// keeps (in, out) blocks in theta, because its samples are rows.
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/nn/potential.hpp"

namespace wengert::nn {

namespace {

const Block& block_named(const Potential& phi, const std::string& name) {
  for (const Block& b : phi.blocks)
    if (b.name == name) return b;
  throw UsageError(fmt::format("import_linear_layers: the potential has no block '{}'", name));
}

bool has_block(const Potential& phi, const std::string& name) {
  for (const Block& b : phi.blocks)
    if (b.name == name) return true;
  return false;
}

}  // namespace

std::vector<double> import_linear_layers(const Potential& phi, const std::vector<LinearLayer>& layers) {
  if (phi.kind != "mlp")
    throw UsageError(fmt::format("import_linear_layers: the potential is a {}; layers fit an mlp", phi.kind));
  if (layers.size() + 1 != phi.widths.size())
    throw ShapeError(fmt::format("import_linear_layers: {} layers for an MLP of widths [{}], which has {}",
                                 layers.size(), fmt::join(phi.widths, ", "), phi.widths.size() - 1));
  std::vector<double> theta(phi.parameter_count(), 0.0);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const LinearLayer& layer = layers[l];
    const auto in = static_cast<std::size_t>(phi.widths[l]), out = static_cast<std::size_t>(phi.widths[l + 1]);
    if (layer.weight.rows() != out || layer.weight.cols() != in)
      throw ShapeError(
          fmt::format("import_linear_layers: layer {}'s weight is ({}, {}); nn.Linear({}, {}) has ({}, {})", l + 1,
                      layer.weight.rows(), layer.weight.cols(), in, out, out, in));
    const Block& w = block_named(phi, fmt::format("W{}", l + 1));
    for (std::size_t i = 0; i < in; ++i)
      for (std::size_t j = 0; j < out; ++j) theta[w.offset + i * out + j] = layer.weight(j, i);
    const std::string bias = fmt::format("b{}", l + 1);
    if (!has_block(phi, bias)) {
      if (!layer.bias.empty())
        throw UsageError(
            fmt::format("import_linear_layers: layer {} has a bias and the potential has none there; "
                        "make it with nn::mlp(..., output_bias = true)",
                        l + 1));
      continue;
    }
    if (layer.bias.size() != out)
      throw ShapeError(fmt::format("import_linear_layers: layer {}'s bias has {} entries; it needs {}", l + 1,
                                   layer.bias.size(), out));
    std::copy(layer.bias.begin(), layer.bias.end(),
              theta.begin() + static_cast<std::ptrdiff_t>(block_named(phi, bias).offset));
  }
  return theta;
}

}  // namespace wengert::nn
