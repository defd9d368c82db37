// Model files: exact round trips, and damage refused.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <fmt/format.h>
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
  CHECK_THROWS_WITH_AS(nn::load_model(path), doctest::Contains("is not a wengert-model file"), IoError);
  std::filesystem::remove(path);
}

namespace {

// A model file body with a valid checksum: what anyone can write.
std::string signed_file(const std::string& body) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : body) h = (h ^ c) * 1099511628211ull;
  return body + fmt::format("checksum {:016x}\n", h);
}

std::string mlp_header(const std::string& widths, const std::string& count, const std::string& extra = "") {
  return "wengert-model 1\nkind mlp\nwidths " + widths + "\nactivation tanh\nconfinement 0\n" + extra + "parameters " +
         count + "\n";
}

void refused(const std::string& body, const char* message) {
  CAPTURE(body.substr(0, 200));
  CHECK_THROWS_WITH_AS(nn::parse_model(signed_file(body), "crafted.wgt"), doctest::Contains(message), IoError);
}

}  // namespace

TEST_CASE("crafted model files: sizes are checked against what the file holds before anything is built") {
  refused(mlp_header("1 6148914691236517206 1", "1"), "width 6148914691236517206 is not in 1 to 2^31");
  refused(mlp_header("2 1000000000 1", "4000000000"), "ends before all its parameters");
  refused(mlp_header("2 75000000 1", "300000000"), "ends before all its parameters");
  refused("wengert-model 1\nkind quadratic\nwidths 1000000\nparameters 1000001000000\n", "ends before all its");
  refused("wengert-model 1\nkind time_mlp\nwidths 2 8 1\nactivation tanh\ntime_features 3000000\nparameters 1\n",
          "time_features 3000000; only a time_mlp or edm_mlp has them, at most 4096");
  refused("wengert-model 1\nkind time_mlp\nwidths 2 8 1\ntime_features 92233720368547758078\nparameters 1\n",
          "time_features '92233720368547758078' is not a whole number in range");
  refused(mlp_header("2 3 1", "13") + std::string(13, '\n'), "lists 13 parameters; its architecture has 12");
}

TEST_CASE("crafted model files: every number, key and version is read strictly") {
  const std::string twelve = "0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n";
  CHECK_NOTHROW(nn::parse_model(signed_file(mlp_header("2 3 1", "12") + twelve), "ok.wgt"));
  refused("wengert-model 1\nkind mlp\nwidths 2 3 1\nconfinement nan\nparameters 12\n" + twelve, "confinement 'nan'");
  refused("wengert-model 1\nkind mlp\nwidths 2 3 1\nconfinement abc\nparameters 12\n" + twelve, "confinement 'abc'");
  refused("wengert-model 01\n", "has format version '01'");
  refused("wengert-model 1junk\n", "has format version '1junk'");
  refused("wengert-model 1\nkind mlp\nwidths 2 3 1\nwidths 2 3 1\nparameters 12\n" + twelve, "repeats 'widths'");
  refused(mlp_header("2 3 1", "12") + twelve + "0.5\n", "holds 1 lines after its 12 parameters");
  refused(mlp_header("2 3 1", "12") + twelve.substr(4) + "1e999\n", "the parameter '1e999' is not a finite number");
  refused(mlp_header("2 3 1", "12") + twelve.substr(4) + "0.5x\n", "the parameter '0.5x'");
  refused(mlp_header("2 -3 1", "12") + twelve, "width '-3' is not a whole number");
  refused("wengert-model 1\nkind mlp\nwidths 2 3 1\nactivation gelu\nparameters 12\n" + twelve,
          "crafted.wgt' line 4: activation 'gelu' is not known");
  refused("wengert-model 1\nkind mlp\nwidths 2 3 1\nconfinement -1\nparameters 12\n" + twelve,
          "crafted.wgt' line 4: has confinement -1");
  refused("wengert-model 1\nkind mlp\nwidths 2 3 1\ncolour blue\nparameters 12\n" + twelve, "unknown line 'colour'");
  refused(mlp_header("2 3 1", "13", "output_bias 2\n") + twelve + "0.5\n", "has output_bias 2; only an mlp has one");
  refused("wengert-model 1\nkind quadratic\nwidths 1\noutput_bias 1\nparameters 2\n0\n0\n", "has output_bias 1");
  CHECK_NOTHROW(
      nn::parse_model(signed_file(mlp_header("2 3 1", "13", "output_bias 1\n") + twelve + "0.5\n"), "ok.wgt"));
}

TEST_CASE("an edm_mlp keeps its data scale through a file, and needs one") {
  const std::string path = (std::filesystem::temp_directory_path() / "wengert_edm_test.wgt").string();
  nn::Potential phi = nn::edm_mlp({2, 4, 1}, nn::Activation::silu, 2, 1.0 / 3.0);
  std::vector<double> theta = nn::initial_parameters(phi, 3);
  nn::save_model(path, phi, theta);
  auto [loaded, values] = nn::load_model(path);
  CHECK(loaded.kind == "edm_mlp");
  CHECK(loaded.sigma_data == 1.0 / 3.0);  // bit for bit
  CHECK(loaded.time_features == 2);
  CHECK(values == theta);
  std::filesystem::remove(path);
  const std::string edm = "wengert-model 1\nkind edm_mlp\nwidths 2 3 1\nactivation silu\ntime_features 0\n";
  const std::string twelve = "0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n0.5\n";
  refused(edm + "parameters 15\n", "sigma_data 0; an edm_mlp needs one in (0, 1e+100]");
  refused(edm + "sigma_data -1\nparameters 15\n", "line 6: has sigma_data -1");
  refused(mlp_header("2 3 1", "12", "sigma_data 1\n") + twelve, "other kinds none");
}

TEST_CASE("model files: a device or folder is refused before it is read") {
  CHECK_THROWS_WITH_AS(nn::load_model("/dev/zero"), doctest::Contains("is not a regular file"), IoError);
  CHECK_THROWS_WITH_AS(nn::load_model(std::filesystem::temp_directory_path().string()),
                       doctest::Contains("is a folder"), IoError);
}

TEST_CASE("save_model refuses non-finite parameters") {
  nn::Potential phi = nn::mlp({2, 3, 1}, nn::Activation::tanh);
  std::vector<double> theta(phi.parameter_count(), 0.0);
  theta[4] = NAN;
  CHECK_THROWS_WITH_AS(nn::save_model("never_written.wgt", phi, theta), doctest::Contains("parameter 4 is nan"),
                       UsageError);
  CHECK(!std::filesystem::exists("never_written.wgt"));
}
