// The model file format, version 1 (text, one item per line):
//
//   wengert-model 1
//   kind mlp                      (or quadratic, time_mlp)
//   widths 2 64 64 1
//   activation softplus
//   confinement 0
//   time_features 4              (time_mlp only)
//   parameters 4353
//   <one parameter per line, %.17g: exact round trip>
//   checksum <FNV-1a 64 of every byte above this line, hex>
#include "wengert/nn/model_file.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/io.hpp"

namespace wengert::nn {

namespace {

std::uint64_t fnv1a(const std::string& bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw IoError(fmt::format("load_model: '{}' {}", path, why));
}

}  // namespace

void save_model(const std::string& path, const Potential& phi, const std::vector<double>& theta) {
  if (theta.size() != phi.parameter_count())
    throw ShapeError(fmt::format("save_model: theta has {} entries; the potential has {} parameters", theta.size(),
                                 phi.parameter_count()));
  if (phi.kind == "custom")
    throw UsageError("save_model: a custom potential's tape cannot be saved; save its parameters yourself");
  std::string body = fmt::format("wengert-model 1\nkind {}\nwidths {}\nactivation {}\nconfinement {:.17g}\n", phi.kind,
                                 fmt::join(phi.widths, " "), to_string(phi.activation), phi.confinement);
  if (phi.kind == "time_mlp") body += fmt::format("time_features {}\n", phi.time_features);
  body += fmt::format("parameters {}\n", theta.size());
  for (double v : theta) body += fmt::format("{:.17g}\n", v);
  body += fmt::format("checksum {:016x}\n", fnv1a(body));

  io::write_atomically(path, body);
}

std::pair<Potential, std::vector<double>> load_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "cannot be opened");
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  const std::size_t mark = text.rfind("checksum ");
  if (text.rfind("wengert-model ", 0) != 0)
    bad(path, "is not a wengert model file (it does not start with 'wengert-model')");
  if (mark == std::string::npos || (mark > 0 && text[mark - 1] != '\n'))
    bad(path, "is truncated: it has no checksum line");
  std::uint64_t stored = 0;
  if (std::sscanf(text.c_str() + mark, "checksum %lx", &stored) != 1) bad(path, "has an unreadable checksum line");
  if (stored != fnv1a(text.substr(0, mark))) bad(path, "is corrupted: its checksum does not match its contents");

  std::istringstream body(text.substr(0, mark));
  std::string word, kind, activation;
  int version = 0;
  body >> word >> version;
  if (version != 1) bad(path, fmt::format("has format version {}; this build reads version 1", version));
  std::vector<Dim> widths;
  double confinement = 0;
  std::size_t count = 0, time_features = 0;
  std::string line;
  std::getline(body, line);
  while (std::getline(body, line)) {
    std::istringstream fields(line);
    fields >> word;
    if (word == "kind")
      fields >> kind;
    else if (word == "widths")
      for (Dim w; fields >> w;) widths.push_back(w);
    else if (word == "activation")
      fields >> activation;
    else if (word == "confinement")
      fields >> confinement;
    else if (word == "time_features")
      fields >> time_features;
    else if (word == "parameters") {
      fields >> count;
      break;
    } else
      bad(path, fmt::format("has an unknown line '{}'", line));
  }
  Potential phi = kind == "quadratic" && widths.size() == 1 ? quadratic(widths[0])
                  : kind == "mlp" ? mlp(widths, activation_from(activation), confinement, false)
                  : kind == "time_mlp"
                      ? time_mlp(widths, activation_from(activation), time_features, confinement)
                      : (bad(path, fmt::format("describes an unknown potential '{}'", kind)), Potential{});
  if (count != phi.parameter_count())
    bad(path, fmt::format("lists {} parameters; its architecture has {}", count, phi.parameter_count()));
  std::vector<double> theta(count);
  for (double& v : theta)
    if (!(body >> v)) bad(path, "ends before all its parameters");
  return {std::move(phi), std::move(theta)};
}

}  // namespace wengert::nn
