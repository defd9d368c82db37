// Model files: a trained potential and its parameters, versioned, with a checksum,
// written atomically (a temporary file renamed over the target), so that a reader
// sees the old file or the new one, never half of one.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "wengert/nn/potential.hpp"

namespace wengert::score {

/// Writes `path`. Throws UsageError if it cannot be written (the old file stays).
void save_model(const std::string& path, const nn::Potential& phi, const std::vector<double>& theta);

/// Reads a model file; a wrong format, version, truncation or checksum throws
/// UsageError naming the file and what is wrong. Nothing is half-read.
std::pair<nn::Potential, std::vector<double>> load_model(const std::string& path);

}  // namespace wengert::score
