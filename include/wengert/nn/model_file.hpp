// Model files: a trained potential and its parameters, versioned, with a checksum,
// written atomically (a temporary file renamed over the target), so that a reader
// sees the old file or the new one, never half of one.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wengert/nn/potential.hpp"

namespace wengert::nn {

/// Writes `path` atomically. Throws IoError if it cannot be written (the old file
/// stays), UsageError for non-finite parameters.
void save_model(const std::string& path, const Potential& phi, const std::vector<double>& theta);

/// The text save_model writes (UsageError and ShapeError as it).
std::string model_text(const Potential& phi, const std::vector<double>& theta);

/// Reads a model file, or the model a checkpoint holds (nn/checkpoint.hpp); a wrong format, version, key, number, size, truncation
/// or checksum throws IoError naming the file, the line and what is wrong.
/// Every size is checked against what the file holds before anything is built.
std::pair<Potential, std::vector<double>> load_model(const std::string& path);

/// The same, from text in memory; `name` stands for the file in messages.
std::pair<Potential, std::vector<double>> parse_model(std::string_view text, std::string_view name);

}  // namespace wengert::nn
