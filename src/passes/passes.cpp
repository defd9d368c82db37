// Passes over whole tapes: dead-code elimination, simplification, selection.
// Common subexpressions and constant folding happen in the Builder as nodes are
// emitted (src/tape/builder.hpp); simplify() re-emits a tape to apply them to a
// tape built some other way.
#include "wengert/passes.hpp"
#include "tape/builder.hpp"
#include "tape/tape_writer.hpp"

namespace wengert {

namespace {

// A new tape with the given outputs of f and only the nodes they need; the
// inputs all stay, in order, because they are the tape's interface.
Tape keep(const Tape& f, const std::vector<std::size_t>& output_indices) {
  std::vector<bool> live(f.nodes().size(), false);
  for (std::size_t k : output_indices) live[static_cast<std::size_t>(f.outputs()[k].node)] = true;
  for (std::size_t i = f.nodes().size(); i-- > 0;) {
    const Node& n = f.nodes()[i];
    if (n.op == Op::input) live[i] = true;
    if (!live[i]) continue;
    if (n.a != no_node) live[static_cast<std::size_t>(n.a)] = true;
    if (n.b != no_node) live[static_cast<std::size_t>(n.b)] = true;
  }
  Tape out;
  std::vector<NodeId> map(f.nodes().size(), no_node);
  auto remap = [&](NodeId id) { return id == no_node ? no_node : map[static_cast<std::size_t>(id)]; };
  for (std::size_t i = 0; i < f.nodes().size(); ++i) {
    if (!live[i]) continue;
    const Node& n = f.nodes()[i];
    if (n.op == Op::input) {
      const Input& in = f.inputs()[static_cast<std::size_t>(n.begin)];
      map[i] = detail::TapeWriter::add_input(out, in.name, in.role, in.shape);
      continue;
    }
    Node copy = n;
    copy.a = remap(n.a);
    copy.b = remap(n.b);
    copy.origin.of = remap(n.origin.of);
    map[i] = detail::TapeWriter::append(out, copy);
  }
  for (std::size_t k : output_indices)
    detail::TapeWriter::add_output(out, f.outputs()[k].name, remap(f.outputs()[k].node));
  return out;
}

}  // namespace

Tape eliminate_dead_code(const Tape& f) {
  std::vector<std::size_t> all(f.outputs().size());
  for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
  return keep(f, all);
}

Tape select(const Tape& f, const std::vector<std::string>& outputs) {
  std::vector<std::size_t> chosen;
  for (const std::string& name : outputs) chosen.push_back(f.output_index(name));
  return keep(f, chosen);
}

Tape simplify(const Tape& f) {
  detail::Builder bld;
  std::vector<NodeId> map = bld.copy(f);
  for (const Output& out : f.outputs()) bld.output(out.name, map[static_cast<std::size_t>(out.node)]);
  return eliminate_dead_code(bld.tape());
}

}  // namespace wengert
