// Pictures with gnuplot: the data and a script are written next to the picture,
// then gnuplot draws it. Without gnuplot the data and the script stay, and the
// user is told how to get the picture.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/score/data.hpp"
#include "wengert/score/train.hpp"

namespace wengert::cli {

/// The grid on which 2-D densities are compared and drawn: [-extent, extent]², cells x cells.
inline constexpr double grid_extent = 4.0;
inline constexpr std::size_t grid_cells = 256;

/// Writes `rows` as whitespace-separated columns to path (for gnuplot).
void write_table(const std::string& path, const Matrix<double>& rows);

/// Runs gnuplot on the script; false (and a message on stderr) if gnuplot is missing or fails.
bool run_gnuplot(const std::string& script_path);

/// The pictures of a trained 2-D model in `folder`: the learned density beside
/// the true one (or the samples), the score field over the samples, the loss curve.
void draw_demo(const std::string& folder, const nn::Potential& phi, const std::vector<double>& theta,
               const Matrix<double>& data, const std::optional<score::Dataset>& truth,
               const std::vector<score::Progress>& history);

}  // namespace wengert::cli
