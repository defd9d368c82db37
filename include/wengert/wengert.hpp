// wengert: automatic differentiation on tapes. Everything, in one include.
#pragma once

#include "wengert/ad.hpp"
#include "wengert/derivatives.hpp"
#include "wengert/error.hpp"
#include "wengert/matrix.hpp"
#include "wengert/op.hpp"
#include "wengert/print.hpp"
#include "wengert/program.hpp"
#include "wengert/tape.hpp"
