// Tapes (Wengert lists) and how to record them.
//
//   wengert::Recorder rec;                      // a recording scope
//   wengert::Var x = rec.data("x", 2);          // one row per sample, 2 columns
//   rec.output("phi", wengert::sum_cols(tanh(x) * x));
//   wengert::Tape f = rec.finish();             // record once, run many times
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wengert/op.hpp"

namespace wengert {

/// A tensor dimension: a fixed size, or `batch`, the number of sample rows,
/// which is only known when the tape is run.
using Dim = std::int64_t;
inline constexpr Dim batch = -1;  ///< the rows of a per-sample value

/// The shape of a tape value: rows (a size, or `batch`) by columns.
struct Shape {
  Dim rows = 1;  ///< a fixed size, or batch
  Dim cols = 1;  ///< columns: always a fixed size
  /// Equal rows and columns.
  friend bool operator==(const Shape&, const Shape&) = default;
};

/// "(B, 64)" or "(3, 1)".
std::string to_string(Shape shape);

using NodeId = std::int32_t;           ///< a node's index in its tape
inline constexpr NodeId no_node = -1;  ///< no node: an absent operand

/// Inputs have a role. Data varies per sample (its rows are the batch);
/// parameters and constants are shared by every row. Any input can be
/// differentiated; the role says what it is for.
enum class Role : std::uint8_t { data, parameter, constant };

/// "data", "parameter" or "constant".
std::string_view role_name(Role role);

/// Where a derived node came from, for printing: the primal computation, the
/// tangent of node `of` (forward mode) or an adjoint contribution of node `of`.
struct Origin {
  /// What a node computes.
  enum Kind : std::uint8_t {
    primal,             ///< the function itself
    tangent,            ///< a tangent (forward mode)
    adjoint             ///< an adjoint contribution (reverse mode)
  } kind = primal;      ///< what the node computes
  NodeId of = no_node;  ///< the primal node it is the tangent or adjoint of
};

/// One entry of the Wengert list: y = op(a, b; value, begin, size).
struct Node {
  Op op = Op::fill;        ///< what it computes
  NodeId a = no_node;      ///< the first operand
  NodeId b = no_node;      ///< the second operand (binary ops)
  Shape shape;             ///< the shape of its value
  double value = 0;        ///< fill value, scalar operand, exponent
  std::int64_t begin = 0;  ///< input index (Op::input), first column (slice/pad)
  std::int64_t size = 0;   ///< broadcast extent, slice width, padded width
  Origin origin;           ///< where it came from, for printing
};

/// A named input of a tape.
struct Input {
  std::string name;        ///< its name, unique among the inputs
  Role role = Role::data;  ///< data, parameter or constant
  Shape shape;             ///< its shape (data: batch rows)
  NodeId node = no_node;   ///< the Op::input node that reads it
};

/// A named output of a tape.
struct Output {
  std::string name;       ///< its name, unique among the outputs
  NodeId node = no_node;  ///< the node whose value it is
};

namespace detail {
class Builder;
struct TapeWriter;
}  // namespace detail

/// A recorded program: nodes in topological order, named inputs and outputs.
/// A tape is a value: copy it, transform it (see ad.hpp), print it, run it.
/// Tapes are made only by a Recorder, the transformations and the tape loader
/// (tape_file.hpp), each of which checks every node: a tape is always valid.
class Tape {
 public:
  const std::vector<Node>& nodes() const { return nodes_; }        ///< the Wengert list, in order
  const std::vector<Input>& inputs() const { return inputs_; }     ///< the named inputs
  const std::vector<Output>& outputs() const { return outputs_; }  ///< the named outputs
  /// The node with this id; throws UsageError for an id that is not one of this tape's.
  const Node& node(NodeId id) const;

  /// The index of the input or output with this name; throws UsageError naming
  /// the tape's names if there is none.
  std::size_t input_index(std::string_view name) const;
  /// The index of the output with this name; throws UsageError naming the tape's outputs if there is none.
  std::size_t output_index(std::string_view name) const;
  bool has_input(std::string_view name) const;   ///< whether an input has this name
  bool has_output(std::string_view name) const;  ///< whether an output has this name

 private:
  friend class detail::Builder;
  friend struct detail::TapeWriter;
  NodeId append(const Node& node);
  NodeId add_input(std::string name, Role role, Shape shape);
  void add_output(std::string name, NodeId node);

  std::vector<Node> nodes_;
  std::vector<Input> inputs_;
  std::vector<Output> outputs_;
};

/// A handle to a node being recorded: two words, cheap to copy. A Var is valid
/// while its Recorder is recording; using it afterwards throws UsageError.
class Var {
 public:
  /// A handle to nothing: assign a recorded value to it.
  Var() = default;
  /// The shape of the value; throws UsageError if its Recorder is gone.
  Shape shape() const;
  /// The node it refers to.
  NodeId id() const { return id_; }

  /// \cond INTERNAL
  // internal: the recording this Var belongs to, and which recording it was
  // (a later Recorder may reuse the address)
  Var(detail::Builder* builder, NodeId id);
  detail::Builder* builder() const { return builder_; }
  std::uint32_t generation() const { return generation_; }
  /// \endcond

 private:
  detail::Builder* builder_ = nullptr;
  NodeId id_ = no_node;
  std::uint32_t generation_ = 0;
};

/// A recording scope. Declare inputs, compute with Vars, name outputs, finish.
class Recorder {
 public:
  Recorder();
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// A data input: `batch` rows (one per sample), `cols` columns.
  Var data(std::string name, Dim cols);
  /// A parameter shared by every row, e.g. a weight matrix or a bias row.
  Var parameter(std::string name, Dim rows, Dim cols);
  /// A constant input: shared, supplied at run time, not meant to be differentiated.
  Var constant(std::string name, Dim rows, Dim cols);
  /// A tensor whose entries all equal `value`.
  Var fill(double value, Shape shape);

  /// Inline another tape here: its inputs are bound by name to `args` (every
  /// input must be bound); returns its outputs in order. This is how a loss is
  /// built from a gradient or HVP tape, and then differentiated again.
  std::vector<Var> call(const Tape& tape, const std::vector<std::pair<std::string, Var>>& args);

  /// Names a value as an output of the tape (names are unique).
  void output(std::string name, Var value);
  /// Ends the recording; the Vars of this recorder are invalid afterwards.
  Tape finish();

 private:
  std::unique_ptr<detail::Builder> builder_;
};

/// \name Element-wise arithmetic
/// Element-wise arithmetic. Operands of shape (1, c) or (r, 1) are broadcast
/// against (r, c) and a (1, 1) operand against anything; other mismatches throw
/// ShapeError naming the op and both shapes.
///@{
Var operator+(Var a, Var b);     ///< a + b
Var operator-(Var a, Var b);     ///< a - b
Var operator*(Var a, Var b);     ///< a * b, entry by entry
Var operator/(Var a, Var b);     ///< a / b, entry by entry
Var operator-(Var a);            ///< -a
Var operator+(Var a, double c);  ///< a + c
Var operator+(double c, Var a);  ///< c + a
Var operator-(Var a, double c);  ///< a - c
Var operator-(double c, Var a);  ///< c - a
Var operator*(Var a, double c);  ///< a c
Var operator*(double c, Var a);  ///< c a
Var operator/(Var a, double c);  ///< a / c
Var operator/(double c, Var a);  ///< c / a, entry by entry
///@}

/// \name Element-wise functions
/// Functions of each entry, recorded as one node each.
///@{
Var square(Var a);
Var sqrt(Var a);
Var exp(Var a);
Var log(Var a);
Var log1p(Var a);
Var tanh(Var a);
Var sigmoid(Var a);
Var softplus(Var a);  ///< log(1 + e^a), computed without overflow
Var silu(Var a);      ///< a * sigmoid(a)
Var sin(Var a);
Var cos(Var a);
Var pow(Var a, double p);
Var relu(Var a);  ///< differentiable once: a second derivative throws NonSmoothError
Var abs(Var a);   ///< differentiable once: a second derivative throws NonSmoothError
///@}

/// (r, k) x (k, c) -> (r, c); typically the batch of rows times a weight matrix.
Var matmul(Var a, Var b);
Var transpose(Var a);                         ///< (r, c) -> (c, r)
Var sum_cols(Var a);                          ///< (r, c) -> (r, 1): per sample
Var mean_cols(Var a);                         ///< (r, c) -> (r, 1)
Var sum_rows(Var a);                          ///< (r, c) -> (1, c): over the batch when r is the batch
Var mean_rows(Var a);                         ///< (r, c) -> (1, c)
Var dot(Var a, Var b);                        ///< row-wise: sum_cols(a * b)
Var broadcast_rows(Var a, Dim rows);          ///< (1, c) -> (rows, c)
Var broadcast_cols(Var a, Dim cols);          ///< (r, 1) -> (r, cols)
Var concat_cols(Var a, Var b);                ///< (r, c1), (r, c2) -> (r, c1 + c2)
Var slice_cols(Var a, Dim begin, Dim count);  ///< (r, c) -> (r, count): columns begin .. begin + count - 1

}  // namespace wengert
