// Flags read strictly: every number parsed whole and checked against its range
// before anything is allocated or looped over, with a message that names the
// flag, the value and what would do. (CLI11 would read "-5" into an unsigned
// count as 2^64 - 5, and "2x" as 2.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <CLI/CLI.hpp>

#include "wengert/tape.hpp"

namespace wengert::cli {

/// A count in [lo, hi].
void add_count(CLI::App& cmd, const std::string& name, std::size_t& value, std::size_t lo, std::size_t hi,
               const std::string& help);
/// An int in [lo, hi] (threads).
void add_int(CLI::App& cmd, const std::string& name, int& value, int lo, int hi, const std::string& help);
/// A seed: any whole number from 0 to 2^64 - 1.
void add_seed(CLI::App& cmd, const std::string& name, std::uint64_t& value, const std::string& help);
/// A finite real number in [lo, hi]; with `positive`, lo itself is excluded.
void add_real(CLI::App& cmd, const std::string& name, double& value, double lo, double hi, bool positive,
              const std::string& help);
/// Free text, with its default shown.
void add_text(CLI::App& cmd, const std::string& name, std::string& value, const std::string& help);

/// "2,64,64,1" as layer widths: whole numbers from 1 to 2^31 - 1, nothing else.
std::vector<Dim> parse_widths(const std::string& text);

}  // namespace wengert::cli
