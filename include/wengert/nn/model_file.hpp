// Model files: a trained potential and its parameters, versioned, with a checksum,
// written atomically (a temporary file renamed over the target), so that a reader
// sees the old file or the new one, never half of one.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "wengert/nn/potential.hpp"

namespace wengert::nn {

/// Writes `path`. Throws IoError if it cannot be written (the old file stays).
void save_model(const std::string& path, const Potential& phi, const std::vector<double>& theta);

/// Reads a model file; a wrong format, version, truncation or checksum throws
/// IoError naming the file and what is wrong. Nothing is half-read.
std::pair<Potential, std::vector<double>> load_model(const std::string& path);

}  // namespace wengert::nn
