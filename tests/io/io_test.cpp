// Files: the CSV loader and writer, and atomic writes.
#include <doctest/doctest.h>

#include <cstring>
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

namespace {
std::string scratch(const char* name) { return (std::filesystem::temp_directory_path() / name).string(); }
}  // namespace

TEST_CASE("csv: a byte-order mark is skipped, a trailing comma refused, subnormals read, overflow named") {
  CHECK(io::parse_csv("\xEF\xBB\xBF"
                      "1,2\n3,4\n",
                      "bom.csv")(0, 0) == 1.0);
  CHECK_THROWS_WITH_AS(io::parse_csv("1,2,\n", "t.csv"), doctest::Contains("t.csv:1: column 3 is empty"), IoError);
  CHECK_THROWS_WITH_AS(io::parse_csv("1,,2\n", "t.csv"), doctest::Contains("column 2 is empty"), IoError);
  const Matrix<double> tiny = io::parse_csv("1e-310,2\n", "tiny.csv");
  CHECK(tiny(0, 0) == 1e-310);
  CHECK_THROWS_WITH_AS(io::parse_csv("1e309,2\n", "big.csv"), doctest::Contains("beyond the largest double"), IoError);
  CHECK_THROWS_WITH_AS(io::parse_csv("1,inf\n", "inf.csv"), doctest::Contains("non-finite"), IoError);
  CHECK_THROWS_WITH_AS(io::parse_csv("1,2x\n", "x.csv"), doctest::Contains("is '2x', not a number"), IoError);
  CHECK_THROWS_WITH_AS(io::parse_csv("# nothing\n\n", "e.csv"), doctest::Contains("has no data rows"), IoError);
}

TEST_CASE("csv: folders, devices and missing files are named as such, before anything is read") {
  CHECK_THROWS_WITH_AS(io::load_csv(std::filesystem::temp_directory_path().string()),
                       doctest::Contains("is a folder, not a file"), IoError);
  CHECK_THROWS_WITH_AS(io::load_csv("/dev/zero"), doctest::Contains("is not a regular file"), IoError);
  CHECK_THROWS_WITH_AS(io::load_csv(scratch("wengert_no_such_file.csv")), doctest::Contains("No such file"), IoError);
  CHECK_THROWS_WITH_AS(io::load_csv(std::string(5000, 'a') + ".csv"), doctest::Contains("cannot open"), IoError);
}

TEST_CASE("csv: saved values read back bit for bit") {
  const std::string path = scratch("wengert_roundtrip.csv");
  Matrix<double> m{{1.0 / 3.0, -2e-310}, {6.02214076e23, -0.0}};
  io::save_csv(path, m);
  const Matrix<double> back = io::load_csv(path);
  for (std::size_t i = 0; i < 4; ++i) CHECK(std::memcmp(&back.data()[i], &m.data()[i], sizeof(double)) == 0);
  std::filesystem::remove(path);
}

TEST_CASE("atomic writes leave no temporary behind and remove those of interrupted saves") {
  const std::string path = scratch("wengert_atomic.txt");
  // A save killed before its rename leaves '<path>.tmp.<pid>'; pick a pid that cannot be running.
  const std::string stale = path + ".tmp.999999999";
  std::ofstream(stale) << "half a file";
  io::write_atomically(path, "whole\n");
  CHECK(!std::filesystem::exists(stale));
  std::size_t leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
    if (entry.path().filename().string().rfind("wengert_atomic.txt.tmp", 0) == 0) ++leftovers;
  CHECK(leftovers == 0);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "whole\n");
  CHECK_THROWS_WITH_AS(io::write_atomically(scratch("no_such_folder/x.txt"), "x"), doctest::Contains("is unchanged"),
                       IoError);
  std::filesystem::remove(path);
}
