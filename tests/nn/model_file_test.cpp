// Model files: exact round trips, and damage refused.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <wengert/nn/model_file.hpp>

#include "support/harness.hpp"

using namespace wengert;

TEST_CASE("model files round-trip exactly and refuse damage") {
  const std::string path = (std::filesystem::temp_directory_path() / "wengert_model_test.wgt").string();
  nn::Potential phi = nn::mlp({2, 5, 1}, nn::Activation::silu, 0.25);
  std::vector<double> theta = nn::initial_parameters(phi, 8);
  theta[0] = 1.0 / 3.0;
  nn::save_model(path, phi, theta);
  auto [loaded, values] = nn::load_model(path);
  CHECK(values == theta);  // bit for bit
  CHECK(loaded.widths == phi.widths);
  CHECK(loaded.activation == nn::Activation::silu);
  CHECK(loaded.confinement == 0.25);
  CHECK(!std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));

  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  {
    std::ofstream(path) << text.substr(0, text.size() / 2);  // truncated
  }
  CHECK_THROWS_WITH_AS(nn::load_model(path), doctest::Contains("truncated"), IoError);
  std::string corrupt = text;
  corrupt[text.find("parameters") + 20] ^= 1;  // one flipped bit in a parameter
  { std::ofstream(path) << corrupt; }
  CHECK_THROWS_WITH_AS(nn::load_model(path), doctest::Contains("checksum does not match"), IoError);
  { std::ofstream(path) << "x,y\n1,2\n"; }
  CHECK_THROWS_WITH_AS(nn::load_model(path), doctest::Contains("not a wengert model file"), IoError);
  std::filesystem::remove(path);
}
