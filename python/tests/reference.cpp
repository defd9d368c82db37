// The C++ side of the Python tests' bitwise comparison: runs a tape file's
// program on CSV inputs and prints every output entry as a hexadecimal float.
//
//   reference <tape file> <name>=<csv> ...
#include <cstdio>
#include <string>
#include <utility>
#include <vector>
#include <wengert/error.hpp>
#include <wengert/io.hpp>
#include <wengert/program.hpp>
#include <wengert/tape_file.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: reference <tape file> <name>=<csv> ...\n");
    return 2;
  }
  try {
    const wengert::Tape tape = wengert::load_tape(argv[1]);
    std::vector<std::pair<std::string, wengert::Matrix<double>>> inputs;
    for (int i = 2; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto eq = arg.find('=');
      inputs.emplace_back(arg.substr(0, eq), wengert::io::load_csv(arg.substr(eq + 1)));
    }
    wengert::Program<double> program(tape);
    for (const auto& [name, m] : inputs) program.set(name, m);
    program.run();
    for (const wengert::Output& out : program.tape().outputs()) {
      const auto v = program.get(out.name);
      std::printf("%s", out.name.c_str());
      for (std::size_t k = 0; k < v.rows * v.cols; ++k) std::printf(" %a", v.data[k]);
      std::printf("\n");
    }
  } catch (const wengert::Error& e) {
    std::fprintf(stderr, "reference: %s\n", e.what());
    return 2;
  }
  return 0;
}
