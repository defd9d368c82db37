// The tape file format, version 1 (text, one item per line):
//
//   wengert-tape 1
//   inputs 2
//   x data B 2                      name, role, rows (B: the batch), cols
//   W1 parameter 2 64
//   nodes 5
//   input - - B 2 0 0 0 primal -    op, a, b, rows, cols, value, begin, size, origin, of
//   ...
//   outputs 1
//   phi 4                           name, node
//   checksum <FNV-1a 64 of every byte above this line, hex>
//
// The loader checks each node as the Builder would have made it: a known op,
// arguments that are earlier nodes and as many as the op takes, and the shape
// its shape rule gives; inputs and outputs named once each and referring to
// their nodes. Counts are checked against the lines the file holds before
// anything is allocated.
#include <fmt/format.h>

#include "io/files.hpp"
#include "io/text_reader.hpp"
#include "tape/builder.hpp"
#include "tape/shapes.hpp"
#include "tape/tape_writer.hpp"
#include "wengert/error.hpp"
#include "wengert/io.hpp"
#include "wengert/tape_file.hpp"

namespace wengert {

namespace {

constexpr std::size_t max_tape_bytes = std::size_t(1) << 30;

std::string dim_text(Dim d) { return d == batch ? "B" : std::to_string(d); }
std::string id_text(NodeId id) { return id == no_node ? "-" : std::to_string(id); }

std::string_view origin_name(Origin::Kind k) {
  switch (k) {
    case Origin::primal: return "primal";
    case Origin::tangent: return "tangent";
    case Origin::adjoint: return "adjoint";
  }
  return "?";
}

// Reads the parts of a tape file into a Tape through the TapeWriter, checking each.
class TapeReader {
 public:
  TapeReader(std::string_view body, std::string_view name) : r_(body, "load_tape", name) {}

  Tape read() {
    const std::vector<std::string_view> first = io::words(r_.line());
    if (first.size() != 2 || first[1] != "1")
      r_.bad(fmt::format("has format version '{}'; this build reads version 1", first.size() > 1 ? first[1] : ""));
    const std::size_t inputs = count("inputs");
    for (std::size_t k = 0; k < inputs; ++k) input_line();
    const std::size_t nodes = count("nodes");
    for (std::size_t i = 0; i < nodes; ++i) node_line(i);
    for (std::size_t k = 0; k < tape_.inputs().size(); ++k)
      if (tape_.inputs()[k].node == no_node)
        r_.bad(fmt::format("input '{}' has no input node", tape_.inputs()[k].name));
    const std::size_t outputs = count("outputs");
    for (std::size_t k = 0; k < outputs; ++k) output_line();
    if (!r_.done()) r_.bad("has lines after its outputs");
    if (outputs == 0) r_.bad("has no outputs");
    return std::move(tape_);
  }

 private:
  // "<key> <n>", with n no more than the lines left.
  std::size_t count(std::string_view key) {
    if (r_.done()) r_.bad(fmt::format("ends before its '{}' line", key));
    const std::vector<std::string_view> w = io::words(r_.line());
    if (w.size() != 2 || w[0] != key) r_.bad(fmt::format("should say '{} <count>' here", key));
    const std::uint64_t n = r_.whole_number(w[1], key);
    if (n > r_.lines_left()) r_.bad(fmt::format("lists {} {} but holds {} lines more", n, key, r_.lines_left()));
    return static_cast<std::size_t>(n);
  }

  Dim dim(std::string_view word, std::string_view what) const {
    return word == "B" ? batch : static_cast<Dim>(r_.integer(word, what));
  }

  void input_line() {
    const std::vector<std::string_view> w = io::words(r_.line());
    if (w.size() != 4) r_.bad("an input line is 'name role rows cols'");
    const std::string name(w[0]);
    const Role role = w[1] == "data"        ? Role::data
                      : w[1] == "parameter" ? Role::parameter
                      : w[1] == "constant"
                          ? Role::constant
                          : (r_.bad(fmt::format("role '{}' is not data, parameter or constant", w[1])), Role::data);
    const Shape shape{dim(w[2], "rows"), dim(w[3], "cols")};
    try {
      detail::check_name("input", name);
      detail::check_shape(fmt::format("input '{}'", name).c_str(), shape, false);
    } catch (const Error& e) {
      r_.bad(e.what());
    }
    if (tape_.has_input(name)) r_.bad(fmt::format("names input '{}' twice", name));
    inputs_.push_back({name, role, shape, no_node});
    detail::TapeWriter::declare_input(tape_, name, role, shape);
  }

  NodeId argument(std::string_view word, std::size_t i) const {
    if (word == "-") return no_node;
    const std::int64_t id = r_.integer(word, "an argument");
    if (id < 0 || std::size_t(id) >= i) r_.bad(fmt::format("argument %{} of node %{} is not an earlier node", id, i));
    return static_cast<NodeId>(id);
  }

  Op op_named(std::string_view word) const {
    for (std::size_t k = 0; k < op_count; ++k)
      if (op_name(static_cast<Op>(k)) == word) return static_cast<Op>(k);
    r_.bad(fmt::format("op '{}' is not known", word));
  }

  void node_line(std::size_t i);
  void check_node(std::size_t i, const Node& n);
  void output_line();

  io::TextReader r_;
  Tape tape_;
  std::vector<Input> inputs_;
};

void TapeReader::node_line(std::size_t i) {
  const std::vector<std::string_view> w = io::words(r_.line());
  if (w.size() != 10) r_.bad("a node line is 'op a b rows cols value begin size origin of'");
  Node n;
  n.op = op_named(w[0]);
  n.a = argument(w[1], i);
  n.b = argument(w[2], i);
  n.shape = {dim(w[3], "rows"), dim(w[4], "cols")};
  n.value = r_.number(w[5], "value", true);
  n.begin = r_.integer(w[6], "begin");
  n.size = dim(w[7], "size");
  n.origin.kind = w[8] == "primal"    ? Origin::primal
                  : w[8] == "tangent" ? Origin::tangent
                  : w[8] == "adjoint"
                      ? Origin::adjoint
                      : (r_.bad(fmt::format("origin '{}' is not primal, tangent or adjoint", w[8])), Origin::primal);
  n.origin.of = w[9] == "-" ? no_node : static_cast<NodeId>(r_.integer(w[9], "origin"));
  if (n.origin.of != no_node && (n.origin.of < 0 || std::size_t(n.origin.of) >= i))
    r_.bad(fmt::format("node %{} comes from %{}, which is not an earlier node", i, n.origin.of));
  check_node(i, n);
  detail::TapeWriter::append(tape_, n);
}

// The node as the Builder would have made it: arity, input references, shape rule.
void TapeReader::check_node(std::size_t i, const Node& n) {
  const int arity = op_arity(n.op);
  if ((arity >= 1) != (n.a != no_node) || (arity == 2) != (n.b != no_node))
    r_.bad(fmt::format("node %{} ({}) takes {} argument(s)", i, op_name(n.op), arity));
  try {
    if (n.op == Op::input) {
      if (n.begin < 0 || std::size_t(n.begin) >= inputs_.size() || inputs_[std::size_t(n.begin)].node != no_node)
        r_.bad(fmt::format("node %{} refers to input {}, which is not an input waiting for its node", i, n.begin));
      Input& in = inputs_[std::size_t(n.begin)];
      if (n.shape != in.shape) r_.bad(fmt::format("node %{} has the shape of input '{}' wrong", i, in.name));
      in.node = static_cast<NodeId>(i);
      detail::TapeWriter::bind_input(tape_, std::size_t(n.begin), in.node);
      return;
    }
    if (n.op == Op::fill) return detail::check_shape("fill", n.shape, true);
    const Shape expected = detail::infer_shape(n.op, tape_.node(n.a).shape,
                                               n.b == no_node ? Shape{} : tape_.node(n.b).shape, n.begin, n.size);
    if (expected != n.shape)
      r_.bad(fmt::format("node %{} ({}) has shape {}; its arguments give {}", i, op_name(n.op), to_string(n.shape),
                         to_string(expected)));
  } catch (const ShapeError& e) {
    r_.bad(fmt::format("node %{}: {}", i, e.what()));
  }
}

void TapeReader::output_line() {
  const std::vector<std::string_view> w = io::words(r_.line());
  if (w.size() != 2) r_.bad("an output line is 'name node'");
  const std::int64_t id = r_.integer(w[1], "the output's node");
  if (id < 0 || std::size_t(id) >= tape_.nodes().size()) r_.bad(fmt::format("output node %{} is not a node", id));
  try {
    detail::check_name("output", w[0]);
  } catch (const Error& e) {
    r_.bad(e.what());
  }
  if (tape_.has_output(w[0])) r_.bad(fmt::format("names output '{}' twice", w[0]));
  detail::TapeWriter::add_output(tape_, std::string(w[0]), static_cast<NodeId>(id));
}

}  // namespace

std::string tape_text(const Tape& tape) {
  std::string text = fmt::format("wengert-tape 1\ninputs {}\n", tape.inputs().size());
  for (const Input& in : tape.inputs())
    text += fmt::format("{} {} {} {}\n", in.name, role_name(in.role), dim_text(in.shape.rows), dim_text(in.shape.cols));
  text += fmt::format("nodes {}\n", tape.nodes().size());
  for (const Node& n : tape.nodes())
    text += fmt::format("{} {} {} {} {} {:.17g} {} {} {} {}\n", op_name(n.op), id_text(n.a), id_text(n.b),
                        dim_text(n.shape.rows), dim_text(n.shape.cols), n.value, n.begin, dim_text(n.size),
                        origin_name(n.origin.kind), id_text(n.origin.of));
  text += fmt::format("outputs {}\n", tape.outputs().size());
  for (const Output& out : tape.outputs()) text += fmt::format("{} {}\n", out.name, out.node);
  return text + fmt::format("checksum {:016x}\n", io::fnv1a(text));
}

void save_tape(const std::string& path, const Tape& tape) { io::write_atomically(path, tape_text(tape)); }

Tape parse_tape(std::string_view text, std::string_view name) {
  const std::string_view body = io::TextReader(text, "load_tape", name).checked_body("wengert-tape ");
  return TapeReader(body, name).read();
}

Tape load_tape(const std::string& path) { return parse_tape(io::read_file("load_tape", path, max_tape_bytes), path); }

}  // namespace wengert
