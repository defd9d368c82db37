// The engine: tapes, their transformations, the executor, and derivatives as
// numbers. Everything below the layers of nn, score, estimators, solvers and
// diffusion, in one include.
#pragma once

#include "wengert/ad.hpp"
#include "wengert/derivatives.hpp"
#include "wengert/error.hpp"
#include "wengert/io.hpp"
#include "wengert/matrix.hpp"
#include "wengert/op.hpp"
#include "wengert/passes.hpp"
#include "wengert/print.hpp"
#include "wengert/program.hpp"
#include "wengert/simd.hpp"
#include "wengert/tape.hpp"
#include "wengert/tape_file.hpp"
#include "wengert/version.hpp"

/// The engine: tapes, their transformations, the executor, derivatives as numbers; and, in the namespaces below, the layers built on it.
namespace wengert {}
