// The model file format, version 1 (text, one item per line):
//
//   wengert-model 1
//   kind mlp                      (or quadratic, time_mlp, edm_mlp)
//   widths 2 64 64 1
//   activation softplus
//   confinement 0
//   time_features 4              (time_mlp and edm_mlp only)
//   sigma_data 1.43              (edm_mlp only)
//   output_bias 1                (mlp only, when its last layer has a bias)
//   parameters 4353
//   <one parameter per line, %.17g: exact round trip>
//   checksum <FNV-1a 64 of every byte above this line, hex>
//
// The checksum catches accidents, not intent: anyone can write a valid one. So
// the reader trusts nothing it reads. Every number is parsed whole, every key
// appears once, the parameter count is computed from the architecture with
// overflow checks and must match both the file's count and the lines the file
// actually holds — all before the architecture is built or anything allocated.
#include "wengert/nn/model_file.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <fmt/format.h>

#include "io/files.hpp"
#include "io/text_reader.hpp"
#include "nn/model_frame.hpp"
#include "wengert/error.hpp"
#include "wengert/io.hpp"

namespace wengert::nn {

namespace {

// 8 GiB: a model of 300 million parameters, or a checkpoint (five copies and the data's order) of 60 million.
constexpr std::size_t max_model_bytes = std::size_t(1) << 33;
constexpr std::size_t max_layers = 64;
constexpr std::uint64_t max_time_features = 4096;
constexpr double max_sigma_data = 1e100;  // the data's scale: the loss checks the data's own values against the same

bool time_conditioned(std::string_view kind) { return kind == "time_mlp" || kind == "edm_mlp"; }

// The header lines, each key at most once, read up to and including "parameters".
struct Header {
  std::string kind, activation = "tanh";
  std::vector<Dim> widths;
  double confinement = 0, sigma_data = 0;
  std::uint64_t time_features = 0, count = 0, output_bias = 0;
  std::map<std::string, std::size_t, std::less<>> line;  // where each key was
  std::size_t line_of(std::string_view key) const {
    const auto it = line.find(key);
    return it == line.end() ? 0 : it->second;
  }
};

std::vector<Dim> read_widths(const io::TextReader& r, const std::vector<std::string_view>& w) {
  if (w.size() < 2 || w.size() > max_layers + 1)
    r.bad(fmt::format("lists {} widths; give 1 to {}", w.size() - 1, max_layers + 1));
  std::vector<Dim> widths;
  for (std::size_t i = 1; i < w.size(); ++i) {
    const std::uint64_t v = r.whole_number(w[i], "width");
    if (v == 0 || v > std::uint64_t(1) << 31) r.bad(fmt::format("width {} is not in 1 to 2^31", w[i]));
    widths.push_back(static_cast<Dim>(v));
  }
  return widths;
}

Header read_header(io::TextReader& r) {
  const std::vector<std::string_view> first = io::words(r.line());
  if (first.size() != 2 || first[1] != "1")
    r.bad(fmt::format("has format version '{}'; this build reads version 1", first.size() > 1 ? first[1] : ""));
  Header h;
  for (;;) {
    if (r.done()) r.bad("ends before its 'parameters' line");
    const std::vector<std::string_view> w = io::words(r.line());
    const std::string key(w[0]);
    if (h.line.count(key)) r.bad(fmt::format("repeats '{}' (first on line {})", key, h.line[key]));
    h.line[key] = r.line_number();
    const bool one_value = w.size() == 2;
    if (key == "widths")
      h.widths = read_widths(r, w);
    else if (!one_value)
      r.bad(fmt::format("'{}' needs one value", key));
    else if (key == "kind")
      h.kind = std::string(w[1]);
    else if (key == "activation")
      h.activation = std::string(w[1]);
    else if (key == "confinement")
      h.confinement = r.number(w[1], "confinement");
    else if (key == "sigma_data")
      h.sigma_data = r.number(w[1], "sigma_data");
    else if (key == "time_features")
      h.time_features = r.whole_number(w[1], "time_features");
    else if (key == "output_bias")
      h.output_bias = r.whole_number(w[1], "output_bias");
    else if (key == "parameters") {
      h.count = r.whole_number(w[1], "parameters");
      return h;
    } else
      r.bad(fmt::format("has an unknown line '{}'", key));
  }
}

// a + b and a · b, or nothing on overflow.
std::optional<std::uint64_t> add(std::optional<std::uint64_t> a, std::uint64_t b) {
  std::uint64_t out = 0;
  if (!a || __builtin_add_overflow(*a, b, &out)) return std::nullopt;
  return out;
}
std::optional<std::uint64_t> times(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// The parameter count of the architecture the header describes, computed as
// nn::mlp, time_mlp, edm_mlp and quadratic lay out their blocks.
std::optional<std::uint64_t> architecture_count(const Header& h) {
  const std::vector<Dim>& w = h.widths;
  if (h.kind == "quadratic") return add(times(std::uint64_t(w[0]), std::uint64_t(w[0])), std::uint64_t(w[0]));
  std::optional<std::uint64_t> total = 0;
  std::uint64_t in = std::uint64_t(w[0]);
  if (time_conditioned(h.kind)) in += 1 + 2 * h.time_features;  // x, tau and its Fourier features
  for (std::size_t l = 0; l + 1 < w.size(); ++l) {
    const auto out = std::uint64_t(w[l + 1]);
    const auto weights = times(in, out);
    total = weights ? add(total, *weights) : std::nullopt;
    if (l + 2 < w.size() || h.output_bias) total = add(total, out);  // a hidden layer's bias, or the output's
    in = out;
  }
  return total;
}

void check_header(const io::TextReader& r, const Header& h) {
  if (h.kind != "mlp" && h.kind != "quadratic" && !time_conditioned(h.kind))
    r.bad_at(
        h.line_of("kind"),
        fmt::format("describes an unknown potential '{}'; kinds are mlp, quadratic, time_mlp and edm_mlp", h.kind));
  if (h.widths.empty()) r.bad("has no 'widths' line");
  const std::size_t widths_line = h.line_of("widths");
  if (h.kind == "quadratic" && h.widths.size() != 1)
    r.bad_at(widths_line, "describes a quadratic potential with more than one width");
  if (h.kind != "quadratic" && (h.widths.size() < 2 || h.widths.back() != 1))
    r.bad_at(widths_line, "describes an MLP whose widths do not end with 1");
  if (!(h.confinement >= 0))
    r.bad_at(h.line_of("confinement"), fmt::format("has confinement {}; it must be >= 0", h.confinement));
  if (h.time_features > max_time_features || (!time_conditioned(h.kind) && h.time_features > 0))
    r.bad_at(h.line_of("time_features"),
             fmt::format("has time_features {}; only a time_mlp or edm_mlp has them, at most {}", h.time_features,
                         max_time_features));
  if ((h.kind == "edm_mlp") != h.line.count("sigma_data") ||
      (h.kind == "edm_mlp" && !(h.sigma_data > 0 && h.sigma_data <= max_sigma_data)))
    r.bad_at(h.line_of(h.line.count("sigma_data") ? "sigma_data" : "kind"),
             fmt::format("has sigma_data {}; an edm_mlp needs one in (0, {:g}], other kinds none", h.sigma_data,
                         max_sigma_data));
  if (h.output_bias > 1 || (h.output_bias && h.kind != "mlp"))
    r.bad_at(h.line_of("output_bias"),
             fmt::format("has output_bias {}; only an mlp has one, and it is 0 or 1", h.output_bias));
  const std::optional<std::uint64_t> expected = architecture_count(h);
  if (!expected) r.bad_at(widths_line, "describes an architecture whose parameter count overflows");
  if (*expected != h.count) r.bad(fmt::format("lists {} parameters; its architecture has {}", h.count, *expected));
}

Potential build(const io::TextReader& r, const Header& h) {
  try {
    if (h.kind == "quadratic") return quadratic(h.widths[0]);
    const Activation a = activation_from(h.activation);
    if (h.kind == "mlp") return mlp(h.widths, a, h.confinement, false, h.output_bias == 1);
    if (h.kind == "edm_mlp") return edm_mlp(h.widths, a, h.time_features, h.sigma_data);
    return time_mlp(h.widths, a, h.time_features, h.confinement);
  } catch (const UsageError& e) {
    r.bad_at(h.line_of("activation"), e.what());  // the architecture was checked: the activation is what is left
  }
}

}  // namespace

std::string model_text(const Potential& phi, const std::vector<double>& theta) {
  if (theta.size() != phi.parameter_count())
    throw ShapeError(fmt::format("save_model: theta has {} entries; the potential has {} parameters", theta.size(),
                                 phi.parameter_count()));
  if (phi.kind == "custom")
    throw UsageError("save_model: a custom potential's tape cannot be saved; save its parameters yourself");
  for (std::size_t i = 0; i < theta.size(); ++i)
    if (!std::isfinite(theta[i]))
      throw UsageError(
          fmt::format("save_model: parameter {} is {}; a model with non-finite parameters is not saved", i, theta[i]));
  std::string body = fmt::format("wengert-model 1\nkind {}\nwidths {}\nactivation {}\nconfinement {:.17g}\n", phi.kind,
                                 fmt::join(phi.widths, " "), to_string(phi.activation), phi.confinement);
  if (time_conditioned(phi.kind)) body += fmt::format("time_features {}\n", phi.time_features);
  if (phi.kind == "edm_mlp") body += fmt::format("sigma_data {:.17g}\n", phi.sigma_data);
  if (phi.output_bias) body += "output_bias 1\n";
  body += fmt::format("parameters {}\n", theta.size());
  for (double v : theta) body += fmt::format("{:.17g}\n", v);
  return body + fmt::format("checksum {:016x}\n", io::fnv1a(body));
}

void save_model(const std::string& path, const Potential& phi, const std::vector<double>& theta) {
  io::write_atomically(path, model_text(phi, theta));
}

std::pair<Potential, std::vector<double>> parse_model(std::string_view text, std::string_view name) {
  io::TextReader r(io::TextReader(text, "load_model", name).checked_body("wengert-model "), "load_model", name);
  const Header h = read_header(r);
  check_header(r, h);
  const std::size_t lines = r.lines_left();
  if (lines < h.count)
    r.bad(fmt::format("ends before all its parameters: it lists {}, and holds {} lines", h.count, lines));
  if (lines > h.count) r.bad(fmt::format("holds {} lines after its {} parameters", lines - h.count, h.count));
  std::vector<double> theta(h.count);
  for (double& v : theta) v = r.number(r.line(), "the parameter");
  return {build(r, h), std::move(theta)};
}

std::string_view detail::checkpoint_model(io::TextReader& r) {
  if (r.line() != "wengert-checkpoint 1") r.bad("has a format version other than 1, the one this build reads");
  const std::vector<std::string_view> w = io::words(r.line());
  if (w.size() != 2 || w[0] != "model") r.bad("is not a 'model <lines>' line");
  const std::uint64_t n = r.whole_number(w[1], "the line count");
  if (n == 0 || n > r.lines_left()) r.bad(fmt::format("announces {} lines; the file holds {} more", n, r.lines_left()));
  const std::string_view first = r.line();
  std::string_view last = first;
  for (std::uint64_t i = 1; i < n; ++i) last = r.line();
  return {first.data(), std::size_t(last.data() + last.size() + 1 - first.data())};  // the lines and their '\n's
}

std::pair<Potential, std::vector<double>> load_model(const std::string& path) {
  const std::string text = io::read_file("load_model", path, max_model_bytes);
  if (!text.starts_with("wengert-checkpoint ")) return parse_model(text, path);
  io::TextReader r(io::TextReader(text, "load_model", path).checked_body("wengert-checkpoint "), "load_model", path);
  return parse_model(detail::checkpoint_model(r), path + " (its model)");
}

}  // namespace wengert::nn
