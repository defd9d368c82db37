// Trace estimators over linear operators (dense, functions, Hessians of tapes):
// exact, Hutchinson, Hutch++.
#pragma once

#include "wengert/estimators/trace.hpp"

/// Trace estimators over linear operators.
namespace wengert::estimators {}
