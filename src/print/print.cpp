// Tapes as text. The printed Wengert list is the best lesson in how AD works:
// print f, grad(f) and jvp(grad(f)) and read what each transformation added.
#include "wengert/print.hpp"

#include <fmt/format.h>

namespace wengert {

namespace {

std::string dim_text(std::int64_t d) { return d == batch ? "B" : std::to_string(d); }

// "%3 %5" and the attributes that matter for the op.
std::string operands(const Tape& t, const Node& n) {
  std::string s;
  if (n.op == Op::input) return fmt::format("'{}'", t.inputs()[static_cast<std::size_t>(n.begin)].name);
  if (n.op == Op::fill) return fmt::format("{:g}", n.value);
  if (n.a != no_node) s += fmt::format("%{}", n.a);
  if (n.b != no_node) s += fmt::format(" %{}", n.b);
  // clang-format off
  switch (n.op) {
    case Op::pow: case Op::add_scalar: case Op::mul_scalar: s += fmt::format(" {:g}", n.value); break;
    case Op::broadcast_rows: case Op::spread_rows: s += " rows=" + dim_text(n.size); break;
    case Op::broadcast_cols: s += " cols=" + dim_text(n.size); break;
    case Op::slice_cols: s += fmt::format(" [{}:{}]", n.begin, n.begin + n.size); break;
    case Op::pad_cols: s += fmt::format(" at={} width={}", n.begin, n.size); break;
    case Op::input: case Op::fill: case Op::neg: case Op::square: case Op::sqrt: case Op::exp: case Op::log:
    case Op::log1p: case Op::tanh: case Op::sigmoid: case Op::softplus: case Op::silu: case Op::sin: case Op::cos:
    case Op::relu: case Op::abs: case Op::step: case Op::sign: case Op::add: case Op::sub: case Op::mul: case Op::div:
    case Op::sum_rows: case Op::mean_rows: case Op::sum_cols: case Op::transpose: case Op::concat_cols: case Op::matmul:
      break;  // no attributes to show
  }
  // clang-format on
  return s;
}

std::string origin_text(const Node& n) {
  switch (n.origin.kind) {
    case Origin::primal: return "";
    case Origin::tangent: return n.origin.of == no_node ? "tangent" : fmt::format("tangent of %{}", n.origin.of);
    case Origin::adjoint: return n.origin.of == no_node ? "adjoint" : fmt::format("adjoint of %{}", n.origin.of);
  }
  return "";
}

}  // namespace

std::string to_string(const Tape& tape) {
  std::string out;
  for (std::size_t i = 0; i < tape.nodes().size(); ++i) {
    const Node& n = tape.nodes()[i];
    std::string line =
        fmt::format("%{:<3} = {:<14} {:<18} {:<9}", i, op_name(n.op), operands(tape, n), to_string(n.shape));
    if (n.op == Op::input) line += fmt::format(" {}", role_name(tape.inputs()[static_cast<std::size_t>(n.begin)].role));
    if (std::string o = origin_text(n); !o.empty()) line += "  # " + o;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  for (const Output& o : tape.outputs()) out += fmt::format("output {} = %{}\n", o.name, o.node);
  return out;
}

std::string to_dot(const Tape& tape) {
  std::string out = "digraph tape {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n";
  for (std::size_t i = 0; i < tape.nodes().size(); ++i) {
    const Node& n = tape.nodes()[i];
    const char* color = n.origin.kind == Origin::tangent   ? "lightblue"
                        : n.origin.kind == Origin::adjoint ? "lightsalmon"
                                                           : "white";
    out += fmt::format("  n{} [label=\"%{} {} {}\\n{}\", style=filled, fillcolor={}];\n", i, i, op_name(n.op),
                       n.op == Op::input ? operands(tape, n).substr(1, operands(tape, n).size() - 2)
                                         : (n.op == Op::fill ? operands(tape, n) : std::string()),
                       to_string(n.shape), color);
    if (n.a != no_node) out += fmt::format("  n{} -> n{};\n", n.a, i);
    if (n.b != no_node) out += fmt::format("  n{} -> n{};\n", n.b, i);
  }
  for (const Output& o : tape.outputs())
    out += fmt::format("  \"{}\" [shape=ellipse];\n  n{} -> \"{}\";\n", o.name, o.node, o.name);
  return out + "}\n";
}

}  // namespace wengert
