// MAP estimation with a learned prior, and its forward operators.
#pragma once

#include "wengert/solvers/map.hpp"

/// MAP estimation with a learned prior, and its forward operators.
namespace wengert::solvers {}
