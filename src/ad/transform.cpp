#include "ad/transform.hpp"

#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::detail {

const std::vector<std::string>& checked_names(const char* function, const Tape& f,
                                              const std::vector<std::string>& names) {
  if (names.empty()) throw UsageError(fmt::format("{}: no inputs to differentiate with respect to", function));
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!f.has_input(names[i])) {
      std::string known;
      for (const Input& in : f.inputs()) known += (known.empty() ? "'" : ", '") + in.name + "'";
      throw UsageError(fmt::format("{}: the tape has no input '{}'; its inputs are {}", function, names[i], known));
    }
    for (std::size_t j = 0; j < i; ++j)
      if (names[j] == names[i]) throw UsageError(fmt::format("{}: input '{}' is named twice", function, names[i]));
  }
  return names;
}

const Output& scalar_output(const char* function, const Tape& f, const std::string& name) {
  if (name.empty() && f.outputs().size() != 1)
    throw UsageError(
        fmt::format("{}: the tape has {} outputs; name the one to differentiate", function, f.outputs().size()));
  const Output& y = f.outputs()[name.empty() ? 0 : f.output_index(name)];
  const Shape shape = f.node(y.node).shape;
  if (shape.cols != 1)
    throw ShapeError(
        fmt::format("{}: output '{}' has shape {}; {} needs one column (a scalar per sample): reduce "
                    "it with sum_cols, or use vjp with a seed",
                    function, y.name, to_string(shape), function));
  return y;
}

}  // namespace wengert::detail
