// Tapes, and recording them through Vars.
#include "wengert/tape.hpp"

#include <fmt/format.h>

#include "tape/builder.hpp"
#include "wengert/error.hpp"

namespace wengert {

std::string to_string(Shape shape) {
  auto dim = [](Dim d) { return d == batch ? std::string("B") : std::to_string(d); };
  std::string out = "(";  // appended, not "(" + ...: GCC 12 warns falsely about the latter (its bug 105329)
  out += dim(shape.rows);
  out += ", ";
  out += dim(shape.cols);
  return out + ")";
}

namespace {
template <class Named>
std::string names_of(const std::vector<Named>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "'" : ", '") + item.name + "'";
  return out.empty() ? "none" : out;
}
}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::data: return "data";
    case Role::parameter: return "parameter";
    case Role::constant: return "constant";
  }
  return "?";
}

bool Tape::has_input(std::string_view name) const {
  for (const auto& in : inputs_)
    if (in.name == name) return true;
  return false;
}

bool Tape::has_output(std::string_view name) const {
  for (const auto& out : outputs_)
    if (out.name == name) return true;
  return false;
}

std::size_t Tape::input_index(std::string_view name) const {
  for (std::size_t i = 0; i < inputs_.size(); ++i)
    if (inputs_[i].name == name) return i;
  throw UsageError(fmt::format("tape has no input '{}'; its inputs are {}", name, names_of(inputs_)));
}

std::size_t Tape::output_index(std::string_view name) const {
  for (std::size_t i = 0; i < outputs_.size(); ++i)
    if (outputs_[i].name == name) return i;
  throw UsageError(fmt::format("tape has no output '{}'; its outputs are {}", name, names_of(outputs_)));
}

const Node& Tape::node(NodeId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= nodes_.size())
    throw UsageError(fmt::format("Tape::node: %{} is not a node of this tape; its nodes are %0 to %{}", id,
                                 static_cast<std::ptrdiff_t>(nodes_.size()) - 1));
  return nodes_[static_cast<std::size_t>(id)];
}

Var::Var(detail::Builder* builder, NodeId id)
    : builder_(builder), id_(id), generation_(builder ? builder->generation() : 0) {}

NodeId Tape::append(const Node& node) {
  nodes_.push_back(node);
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId Tape::add_input(std::string name, Role role, Shape shape) {
  Node n;
  n.op = Op::input;
  n.shape = shape;
  n.begin = static_cast<std::int64_t>(inputs_.size());
  NodeId id = append(n);
  inputs_.push_back({std::move(name), role, shape, id});
  return id;
}

void Tape::add_output(std::string name, NodeId node) {
  if (has_output(name)) throw UsageError(fmt::format("output '{}': the tape already has an output of that name", name));
  outputs_.push_back({std::move(name), node});
}

// ---- recording -------------------------------------------------------------

namespace {

detail::Builder& builder_of(const char* op, Var a) {
  if (a.builder() == nullptr)
    throw UsageError(fmt::format("{}: the operand is an empty Var; create Vars with a Recorder", op));
  if (!detail::Builder::is_live(a.builder(), a.generation()))
    throw UsageError(
        fmt::format("{}: the operand belongs to a Recorder that no longer exists; keep the Recorder "
                    "alive while its Vars are used",
                    op));
  if (a.builder()->finished)
    throw UsageError(
        fmt::format("{}: the operand belongs to a finished recording; record all of a tape "
                    "before Recorder::finish(), or reuse a tape with Recorder::call",
                    op));
  return *a.builder();
}

detail::Builder& builder_of(const char* op, Var a, Var b) {
  detail::Builder& bld = builder_of(op, a);
  builder_of(op, b);
  if (a.builder() != b.builder())
    throw UsageError(
        fmt::format("{}: the operands come from different recordings (%{} and %{}); record "
                    "every Var of a tape under one Recorder, or inline a tape with Recorder::call",
                    op, a.id(), b.id()));
  return bld;
}

Var binary(const char* name, Op op, Var a, Var b) {
  detail::Builder& bld = builder_of(name, a, b);
  auto [x, y] = bld.broadcast_pair(op, a.id(), b.id());
  return {&bld, bld.emit(op, x, y)};
}

Var unary(const char* name, Op op, Var a, double value = 0) {
  detail::Builder& bld = builder_of(name, a);
  return {&bld, bld.emit(op, a.id(), no_node, value)};
}

}  // namespace

Shape Var::shape() const { return builder_of("Var::shape", *this).shape(id_); }

Recorder::Recorder() : builder_(std::make_unique<detail::Builder>()) {}
Recorder::~Recorder() = default;

Var Recorder::data(std::string name, Dim cols) {
  return {builder_.get(), builder_->input(std::move(name), Role::data, {batch, cols})};
}
Var Recorder::parameter(std::string name, Dim rows, Dim cols) {
  return {builder_.get(), builder_->input(std::move(name), Role::parameter, {rows, cols})};
}
Var Recorder::constant(std::string name, Dim rows, Dim cols) {
  return {builder_.get(), builder_->input(std::move(name), Role::constant, {rows, cols})};
}
Var Recorder::fill(double value, Shape shape) { return {builder_.get(), builder_->fill(value, shape)}; }

std::vector<Var> Recorder::call(const Tape& tape, const std::vector<std::pair<std::string, Var>>& args) {
  std::vector<NodeId> binding(tape.inputs().size(), no_node);
  for (const auto& [name, var] : args) {
    builder_of("call", var);
    if (var.builder() != builder_.get())
      throw UsageError(fmt::format("call: the Var bound to '{}' belongs to another recording", name));
    binding[tape.input_index(name)] = var.id();
  }
  for (std::size_t i = 0; i < binding.size(); ++i)
    if (binding[i] == no_node)
      throw UsageError(fmt::format("call: input '{}' of the called tape is not bound; pass {{\"{}\", var}}",
                                   tape.inputs()[i].name, tape.inputs()[i].name));
  std::vector<NodeId> map = builder_->import(tape, binding);
  std::vector<Var> outs;
  for (const auto& out : tape.outputs()) outs.emplace_back(builder_.get(), map[static_cast<std::size_t>(out.node)]);
  return outs;
}

void Recorder::output(std::string name, Var value) {
  builder_of("output", value);
  if (value.builder() != builder_.get())
    throw UsageError(fmt::format("output '{}': the Var belongs to another recording", name));
  builder_->output(std::move(name), value.id());
}

Tape Recorder::finish() {
  if (builder_->finished) throw UsageError("Recorder::finish: the recording is already finished");
  if (builder_->tape().outputs().empty())
    throw UsageError("Recorder::finish: the tape has no outputs; name one with Recorder::output");
  builder_->finished = true;
  return std::move(builder_->tape());
}

Var operator+(Var a, Var b) { return binary("add", Op::add, a, b); }
Var operator-(Var a, Var b) { return binary("sub", Op::sub, a, b); }
Var operator*(Var a, Var b) { return binary("mul", Op::mul, a, b); }
Var operator/(Var a, Var b) { return binary("div", Op::div, a, b); }
Var operator-(Var a) { return unary("neg", Op::neg, a); }
Var operator+(Var a, double c) { return unary("add_scalar", Op::add_scalar, a, c); }
Var operator+(double c, Var a) { return a + c; }
Var operator-(Var a, double c) { return a + (-c); }
Var operator-(double c, Var a) { return (-a) + c; }
Var operator*(Var a, double c) { return unary("mul_scalar", Op::mul_scalar, a, c); }
Var operator*(double c, Var a) { return a * c; }
Var operator/(Var a, double c) { return a * (1.0 / c); }
Var operator/(double c, Var a) { return pow(a, -1.0) * c; }

Var square(Var a) { return unary("square", Op::square, a); }
Var sqrt(Var a) { return unary("sqrt", Op::sqrt, a); }
Var exp(Var a) { return unary("exp", Op::exp, a); }
Var log(Var a) { return unary("log", Op::log, a); }
Var log1p(Var a) { return unary("log1p", Op::log1p, a); }
Var tanh(Var a) { return unary("tanh", Op::tanh, a); }
Var sigmoid(Var a) { return unary("sigmoid", Op::sigmoid, a); }
Var softplus(Var a) { return unary("softplus", Op::softplus, a); }
Var silu(Var a) { return unary("silu", Op::silu, a); }
Var sin(Var a) { return unary("sin", Op::sin, a); }
Var cos(Var a) { return unary("cos", Op::cos, a); }
Var pow(Var a, double p) { return unary("pow", Op::pow, a, p); }
Var relu(Var a) { return unary("relu", Op::relu, a); }
Var abs(Var a) { return unary("abs", Op::abs, a); }

Var matmul(Var a, Var b) {
  detail::Builder& bld = builder_of("matmul", a, b);
  return {&bld, bld.matmul(a.id(), b.id())};
}
Var transpose(Var a) { return unary("transpose", Op::transpose, a); }
Var sum_cols(Var a) { return unary("sum_cols", Op::sum_cols, a); }
Var mean_cols(Var a) { return sum_cols(a) * (1.0 / double(a.shape().cols)); }
Var sum_rows(Var a) { return unary("sum_rows", Op::sum_rows, a); }
Var mean_rows(Var a) { return unary("mean_rows", Op::mean_rows, a); }
Var dot(Var a, Var b) { return sum_cols(a * b); }
Var broadcast_rows(Var a, Dim rows) {
  detail::Builder& bld = builder_of("broadcast_rows", a);
  return {&bld, bld.broadcast_rows(a.id(), rows)};
}
Var broadcast_cols(Var a, Dim cols) {
  detail::Builder& bld = builder_of("broadcast_cols", a);
  return {&bld, bld.broadcast_cols(a.id(), cols)};
}
Var concat_cols(Var a, Var b) {
  detail::Builder& bld = builder_of("concat_cols", a, b);
  return {&bld, bld.concat_cols(a.id(), b.id())};
}
Var slice_cols(Var a, Dim begin, Dim count) {
  detail::Builder& bld = builder_of("slice_cols", a);
  return {&bld, bld.slice_cols(a.id(), begin, count)};
}

}  // namespace wengert
