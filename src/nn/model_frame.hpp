// The model a checkpoint opens with (nn/checkpoint.hpp): "wengert-checkpoint 1",
// "model <n>", then the n lines of a model file. Read here, beside the model
// format, so that load_model reads a checkpoint's model without knowing the rest
// of a checkpoint.
#pragma once

#include <string_view>

#include "io/text_reader.hpp"

namespace wengert::nn::detail {

/// The text of the model, read from `r` at a checkpoint's first line (past its
/// checksum); `r` is left after the model. IoError for a wrong version or count.
std::string_view checkpoint_model(io::TextReader& r);

}  // namespace wengert::nn::detail
