// The exceptions wengert throws. Every message names the function, the values
// involved and, where there is one, the fix.
#pragma once

#include <stdexcept>
#include <string>

namespace wengert {

/// Base of every wengert error.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Operands of the wrong shape, at record time or at run time.
struct ShapeError : Error {
  using Error::Error;
};

/// A tape used wrongly: a Var from another recording, an unknown input name, a
/// missing input, an output that is not scalar where one is needed.
struct UsageError : Error {
  using Error::Error;
};

/// A file that cannot be read, written or understood: the message names the
/// file and, where there is one, the line and what is wrong with it.
struct IoError : Error {
  using Error::Error;
};

/// A derivative that does not exist: differentiating relu or abs twice.
struct NonSmoothError : Error {
  using Error::Error;
};

/// With ProgramOptions::check_finite: the first node that produced NaN or Inf.
struct NonFiniteError : Error {
  using Error::Error;
};

/// An iteration that diverged (a step too large): the message names the step.
struct DivergenceError : Error {
  using Error::Error;
};

}  // namespace wengert
