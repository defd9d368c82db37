// Potentials phi(x; theta): an MLP [d, h..., 1] with a smooth activation, and a
// quadratic ½(x - mu)ᵀ L Lᵀ (x - mu). Each is a tape with the data input "x"
// and one parameter input per weight, and a flat parameter vector theta whose
// named blocks are those inputs.
//
// The layout of an MLP's theta, for porting weights: samples are rows, so layer
// l computes h_l = act(h_{l-1} W_l + b_l) with W_l of shape (in, out) and b_l of
// (1, out), both row-major; theta holds W1, b1, W2, b2, ..., W_L and, with
// output_bias, b_L, one after the other (Potential::blocks lists names, shapes
// and offsets). The last layer has no activation. A PyTorch nn.Linear stores its
// weight as (out, in): nn::import_linear_layers transposes it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/program.hpp"
#include "wengert/tape.hpp"

namespace wengert::nn {

/// The hidden layers' activation.
enum class Activation {
  tanh,      ///< tanh
  softplus,  ///< log(1 + e^x)
  silu,      ///< x sigmoid(x)
  relu       ///< max(x, 0): differentiable once, so not for second-order losses
};

/// "tanh", "softplus", "silu", "relu"; and back (throws UsageError naming the choices).
std::string to_string(Activation a);
/// The activation of that name (tanh, softplus, silu, relu); throws UsageError naming the choices.
Activation activation_from(const std::string& name);

/// One parameter input of the tape, stored at theta[offset, offset + rows·cols).
struct Block {
  std::string name;        ///< the tape's input: W1, b1, ...
  std::size_t rows = 0;    ///< its rows
  std::size_t cols = 0;    ///< its columns
  std::size_t offset = 0;  ///< where it starts in theta
};

/// A potential phi(x; theta): its tape, its architecture and theta's layout.
struct Potential {
  std::string kind;                          ///< "mlp", "quadratic", "time_mlp", "edm_mlp" or "custom"
  std::vector<Dim> widths;                   ///< mlp: [d, h..., 1]; quadratic: [d]
  Activation activation = Activation::tanh;  ///< of the hidden layers
  double confinement = 0;                    ///< alpha: adds alpha ‖x‖² / 2, so exp(-phi) stays normalisable
  std::size_t time_features = 0;             ///< time_mlp, edm_mlp: Fourier frequencies of t
  double sigma_data = 0;                     ///< edm_mlp: the data's scale in its noise-level scaling
  bool output_bias = false;                  ///< mlp: the last layer has a bias (phi's constant: no score sees it)
  Tape tape;                                 ///< output "phi", (B, 1)
  std::vector<Block> blocks;                 ///< theta's blocks: the tape's parameter inputs, in order

  Dim dim() const { return widths.front(); }  ///< d, the dimension of x
  /// The length of theta.
  std::size_t parameter_count() const {
    return blocks.empty() ? 0 : blocks.back().offset + blocks.back().rows * blocks.back().cols;
  }
  /// Binds every block of theta to the program's inputs of the same name (views, no copy).
  template <class T>
  void bind(Program<T>& program, std::span<const T> theta) const;
  /// Copies the program's outputs "<block>_bar" (a gradient tape's) into the flat gradient.
  template <class T>
  void gather_gradient(const Program<T>& program, std::type_identity_t<std::span<T>> gradient) const;
  /// One parameter input per block, recorded into `rec`: the arguments that bind
  /// phi's parameters when its tapes are called (Recorder::call) inside another.
  std::vector<std::pair<std::string, Var>> record_parameters(Recorder& rec) const;
};

/// The score s = -∇x phi of a potential, planned once: rows of x (and a level
/// t for a time-conditioned potential) in, rows of s out.
class ScoreProgram {
 public:
  /// theta is viewed, not copied: it must stay alive (it may change between calls).
  ScoreProgram(const Potential& phi, std::span<const double> theta, int threads = 1);
  /// Views other parameters from now on.
  void bind(std::span<const double> theta);
  /// The score at the rows of x.
  Matrix<double> operator()(const Matrix<double>& x);
  /// For a time-conditioned potential: every row at level t.
  Matrix<double> operator()(const Matrix<double>& x, double t);

 private:
  const Potential* phi_;
  Program<double> program_;
  Matrix<double> t_;
};

/// An MLP potential. Throws UsageError for relu when `second_order` (its Laplacian
/// is zero almost everywhere, so a score-matching loss cannot see curvature).
/// `output_bias` gives the last layer a bias, as a ported PyTorch model has.
Potential mlp(const std::vector<Dim>& widths, Activation activation, double confinement = 0, bool second_order = true,
              bool output_bias = false);

/// One layer as PyTorch's nn.Linear stores it: weight (out, in), bias of length
/// out (empty: none).
struct LinearLayer {
  Matrix<double> weight;     ///< (out, in)
  std::vector<double> bias;  ///< out entries, or none
};

/// theta for an MLP potential from its layers in PyTorch's layout, first layer
/// first (weights transposed to (in, out)). Throws ShapeError naming the layer
/// whose shape does not match the potential's widths, and UsageError for a last
/// bias the potential has no place for (make it with output_bias) or lacks.
std::vector<double> import_linear_layers(const Potential& phi, const std::vector<LinearLayer>& layers);

/// A time-conditioned MLP potential phi(x, t) for diffusion: inputs "x" (B, d)
/// and "t" (B, 1); t enters as tau = log(1 - t + 1e-4)/log(1e-4) (the log noise
/// variance, scaled to [0, 1]) and `frequencies` Fourier features sin(πk tau),
/// cos(πk tau), concatenated to x.
/// widths = [d, h..., 1] as for mlp; `frequencies` is stored in `time_features`.
Potential time_mlp(const std::vector<Dim>& widths, Activation activation, std::size_t frequencies = 4,
                   double confinement = 0);

/// A time-conditioned potential for diffusion with EDM's noise-level scaling
/// (Karras et al. 2022), made conservative: with sigma² = (1 - t)/t, y = x/sqrt(t)
/// and c_in = 1/sqrt(sigma² + sigma_data²),
///     phi(x, t) = ½ c_in² ‖y‖² - (sigma_data / sigma) G(c_in y, tau),
/// G an MLP of widths [d, h..., 1] on c_in y and `frequencies` Fourier features of
/// tau (log sigma scaled to [0, 1] over [1e-3, 1e3]). Its score is that of EDM's
/// denoiser with F = ∇G, so the network sees inputs and targets of unit scale at
/// every level. sigma_data: the data's standard deviation (per coordinate).
Potential edm_mlp(const std::vector<Dim>& widths, Activation activation, std::size_t frequencies, double sigma_data);

/// ½(x - mu)ᵀ P (x - mu) with P = L Lᵀ: a Gaussian N(mu, P⁻¹), the model with a closed-form answer.
Potential quadratic(Dim d);

/// A potential from any tape with a data input "x" and one output "phi" (B, 1):
/// its parameter inputs become the blocks, in the tape's order. A data input "t"
/// (B, 1) makes it time-conditioned, phi(x_t, t), for the diffusion layer.
Potential custom_potential(Tape phi);

/// Seeded initial parameters: weights N(0, 1/fan_in) (Glorot-like for tanh), biases 0;
/// quadratic: mu = 0, L = I; edm_mlp: the output layer 0 (G = 0: the Gaussian of its data scale).
std::vector<double> initial_parameters(const Potential& phi, std::uint64_t seed);

}  // namespace wengert::nn
