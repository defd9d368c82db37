// Porting a PyTorch MLP potential: layers in nn.Linear's layout (weight (out, in),
// bias), written out from a closed formula as the peer benchmarks do; wengert must
// give the phi, gradient and HVP the same network computes by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <wengert/nn/model_file.hpp>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {

const std::vector<Dim> widths = {3, 5, 4, 1};

std::vector<nn::LinearLayer> torch_layers() {
  std::vector<nn::LinearLayer> layers;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const auto in = static_cast<std::size_t>(widths[l]), out = static_cast<std::size_t>(widths[l + 1]);
    nn::LinearLayer layer{Matrix<double>(out, in), std::vector<double>(out)};
    for (std::size_t j = 0; j < out; ++j) {
      for (std::size_t i = 0; i < in; ++i)
        layer.weight(j, i) = 0.5 * std::sin(0.7 * double(l + 1) + 0.3 * i + 0.11 * j);
      layer.bias[j] = 0.1 * std::cos(double(l) + double(j));
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

// The network by hand, as torch computes it: phi, its gradient in x, and H v
// (tanh hidden layers, a linear output with bias), forward then backward, and
// the same differentiated along v.
struct ByHand {
  double phi;
  std::vector<double> gradient, hv;
};

ByHand by_hand(const std::vector<nn::LinearLayer>& layers, const std::vector<double>& x, const std::vector<double>& v) {
  std::vector<std::vector<double>> h{x}, dh{v};  // activations and their derivatives along v
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const nn::LinearLayer& layer = layers[l];
    std::vector<double> z(layer.bias), dz(layer.bias.size(), 0.0);
    for (std::size_t j = 0; j < z.size(); ++j)
      for (std::size_t i = 0; i < h[l].size(); ++i) {
        z[j] += layer.weight(j, i) * h[l][i];
        dz[j] += layer.weight(j, i) * dh[l][i];
      }
    if (l + 1 < layers.size())
      for (std::size_t j = 0; j < z.size(); ++j) {
        z[j] = std::tanh(z[j]);
        dz[j] *= 1 - z[j] * z[j];
      }
    h.push_back(z);
    dh.push_back(dz);
  }
  // Backward: g = ∂phi/∂h_l and its derivative along v, dg.
  std::vector<double> g{1.0}, dg{0.0};
  for (std::size_t l = layers.size(); l-- > 0;) {
    const nn::LinearLayer& layer = layers[l];
    std::vector<double> gz = g, dgz = dg;  // through the activation of layer l (none for the last)
    if (l + 1 < layers.size())
      for (std::size_t j = 0; j < g.size(); ++j) {
        const double y = h[l + 1][j];
        gz[j] = g[j] * (1 - y * y);
        dgz[j] = dg[j] * (1 - y * y) - 2 * y * dh[l + 1][j] * g[j];
      }
    std::vector<double> back(h[l].size(), 0.0), dback(h[l].size(), 0.0);
    for (std::size_t i = 0; i < back.size(); ++i)
      for (std::size_t j = 0; j < gz.size(); ++j) {
        back[i] += layer.weight(j, i) * gz[j];
        dback[i] += layer.weight(j, i) * dgz[j];
      }
    g = back;
    dg = dback;
  }
  return {h.back()[0], g, dg};
}

}  // namespace

TEST_CASE("a PyTorch MLP potential imported from nn.Linear layers gives the same phi, gradient and HVP") {
  nn::Potential phi = nn::mlp(widths, nn::Activation::tanh, 0, true, /*output_bias=*/true);
  CHECK(phi.blocks.back().name == "b3");
  const std::vector<nn::LinearLayer> layers = torch_layers();
  const std::vector<double> theta = nn::import_linear_layers(phi, layers);
  std::mt19937_64 rng(21);
  Matrix<double> x = random_matrix(6, 3, rng), v = random_matrix(6, 3, rng);
  Derivatives<double> d(phi.tape);
  Inputs<double> inputs{{"x", x}};
  for (const nn::Block& b : phi.blocks)
    inputs.emplace_back(b.name, MatrixView<const double>{theta.data() + b.offset, b.rows, b.cols});
  const Matrix<double> value = d.value(inputs), gradient = d.gradient(inputs), hv = d.hvp(inputs, v);
  for (std::size_t r = 0; r < 6; ++r) {
    const ByHand reference = by_hand(layers, {x(r, 0), x(r, 1), x(r, 2)}, {v(r, 0), v(r, 1), v(r, 2)});
    CHECK(value(r, 0) == doctest::Approx(reference.phi).epsilon(1e-14));
    for (std::size_t j = 0; j < 3; ++j) {
      CHECK(gradient(r, j) == doctest::Approx(reference.gradient[j]).epsilon(1e-13));
      CHECK(hv(r, j) == doctest::Approx(reference.hv[j]).epsilon(1e-13));
    }
  }
  // The output bias survives a model file.
  const std::string path = (std::filesystem::temp_directory_path() / "wengert_import_test.wgt").string();
  nn::save_model(path, phi, theta);
  auto [loaded, values] = nn::load_model(path);
  CHECK(loaded.output_bias);
  CHECK(values == theta);
  std::filesystem::remove(path);
}

TEST_CASE("importing layers refuses shapes and biases that do not fit, naming the layer") {
  nn::Potential phi = nn::mlp(widths, nn::Activation::tanh);  // no output bias
  std::vector<nn::LinearLayer> layers = torch_layers();
  CHECK_THROWS_WITH_AS(nn::import_linear_layers(phi, layers), doctest::Contains("layer 3 has a bias"), UsageError);
  layers.back().bias.clear();
  CHECK_NOTHROW(nn::import_linear_layers(phi, layers));
  layers[1].weight = Matrix<double>(5, 4);  // (in, out) by mistake
  CHECK_THROWS_WITH_AS(nn::import_linear_layers(phi, layers), doctest::Contains("layer 2's weight is (5, 4)"),
                       ShapeError);
  layers.pop_back();
  CHECK_THROWS_WITH_AS(nn::import_linear_layers(phi, layers), doctest::Contains("2 layers"), ShapeError);
}

TEST_CASE("a float program's theta-gradient gathers like a double one's") {
  nn::Potential phi = nn::mlp({2, 6, 1}, nn::Activation::softplus, 0, true, true);
  const std::vector<double> theta = nn::initial_parameters(phi, 3);
  const std::vector<float> theta_f(theta.begin(), theta.end());
  Tape g = grad(phi.tape, {"W1", "b1", "W2", "b2"}, "phi");
  std::mt19937_64 rng(4);
  const Matrix<double> x = random_matrix(5, 2, rng);
  Matrix<float> x_f(5, 2);
  for (std::size_t i = 0; i < 10; ++i) x_f.data()[i] = static_cast<float>(x.data()[i]);
  Program<double> pd(g);
  Program<float> pf(g);
  phi.bind(pd, std::span<const double>(theta));
  phi.bind(pf, std::span<const float>(theta_f));
  pd.set("x", x);
  pf.set("x", x_f);
  pd.run();
  pf.run();
  std::vector<double> gd(phi.parameter_count());
  std::vector<float> gf(phi.parameter_count());
  phi.gather_gradient(pd, gd);
  phi.gather_gradient(pf, gf);
  for (std::size_t i = 0; i < gd.size(); ++i) CHECK(double(gf[i]) == doctest::Approx(gd[i]).epsilon(1e-5));
}
