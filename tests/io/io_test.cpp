// Files: the CSV loader and writer, and atomic writes.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <wengert/io.hpp>

#include "support/harness.hpp"

using namespace wengert;

TEST_CASE("the CSV loader names the file, line and column of bad data") {
  const std::string path = (std::filesystem::temp_directory_path() / "wengert_data_test.csv").string();
  auto write = [&](const char* text) { std::ofstream(path) << text; };
  write("# x, y\n1.5, 2\n3, 4\n");
  Matrix<double> m = io::load_csv(path);
  CHECK(m.rows() == 2);
  CHECK(m(1, 0) == 3.0);
  write("1, 2\n3, oops\n");
  CHECK_THROWS_WITH_AS(io::load_csv(path), doctest::Contains(":2: column 2 is ' oops'"), IoError);
  write("1, 2\n3, nan\n");
  CHECK_THROWS_WITH_AS(io::load_csv(path), doctest::Contains("non-finite"), IoError);
  write("1, 2\n3\n");
  CHECK_THROWS_WITH_AS(io::load_csv(path), doctest::Contains("1 columns where the first row has 2"), IoError);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(io::load_csv(path), doctest::Contains("cannot open"), IoError);
}
