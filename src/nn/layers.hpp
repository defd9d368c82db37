// The parts every MLP potential is built from (mlp, time_mlp, edm_mlp): the
// checked description, the layers, the confining term and the output.
#pragma once

#include <string>
#include <vector>

#include "wengert/nn/potential.hpp"

namespace wengert::detail {

/// Appends a parameter block of rows x cols at the end of theta.
void add_block(nn::Potential& phi, const std::string& name, Dim rows, Dim cols);

/// The layers of an MLP on `h` (of `first_width` columns), recording their blocks
/// into phi: hidden layers with bias and activation, a linear output layer (with
/// a bias if phi.output_bias).
Var mlp_layers(Recorder& rec, nn::Potential& phi, Var h, const std::vector<Dim>& widths, Dim first_width);

/// A checked MLP potential's description, before its tape is recorded. Throws
/// UsageError for bad widths, a negative confinement, or relu when `second_order`.
nn::Potential described_mlp(const char* kind, const std::vector<Dim>& widths, nn::Activation activation,
                            double confinement, bool second_order);

/// The common end of the MLPs: the confining term, the output "phi", the tape.
void finish_potential(Recorder& rec, nn::Potential& phi, Var x, Var h);

}  // namespace wengert::detail
