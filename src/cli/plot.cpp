// Pictures with gnuplot: tables of numbers, and the script that draws them.
#include "cli/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <fmt/format.h>

#include "wengert/error.hpp"
#include "wengert/io.hpp"
#include "wengert/score/metrics.hpp"

namespace wengert::cli {

namespace {

constexpr std::size_t shown_samples = 1500;  // points drawn under the score field
constexpr std::size_t arrow_cells = 25;      // the score field's coarse grid, one arrow a cell

// A grid of values as (x, y, value) rows.
Matrix<double> grid_table(const Matrix<double>& values) {
  const std::size_t n = values.rows();
  const Matrix<double> at = score::grid_centres(-grid_extent, grid_extent, n);
  Matrix<double> t(n * n, 3);
  for (std::size_t k = 0; k < n * n; ++k) {
    t(k, 0) = at(k, 0);
    t(k, 1) = at(k, 1);
    t(k, 2) = values.data()[k];
  }
  return t;
}

// Arrows of the learned score on a coarse grid, each scaled to 0.8 of its cell.
Matrix<double> score_arrows(const nn::Potential& phi, const std::vector<double>& theta) {
  const Matrix<double> at = score::grid_centres(-grid_extent, grid_extent, arrow_cells);
  const Matrix<double> s = score::model_score(phi, theta, at);
  const double cell = 2 * grid_extent / double(arrow_cells);
  Matrix<double> arrows(at.rows(), 4);
  for (std::size_t k = 0; k < at.rows(); ++k) {
    const double scale = 0.8 * cell / std::max(std::hypot(s(k, 0), s(k, 1)), 1e-12);
    arrows(k, 0) = at(k, 0);
    arrows(k, 1) = at(k, 1);
    arrows(k, 2) = s(k, 0) * scale;
    arrows(k, 3) = s(k, 1) * scale;
  }
  return arrows;
}

Matrix<double> first_rows(const Matrix<double>& data, std::size_t count) {
  Matrix<double> points(std::min(data.rows(), count), 2);
  for (std::size_t i = 0; i < points.rows(); ++i) {
    points(i, 0) = data(i, 0);
    points(i, 1) = data(i, 1);
  }
  return points;
}

Matrix<double> loss_curve(const std::vector<score::Progress>& history) {
  Matrix<double> curve(history.size(), 3);
  for (std::size_t k = 0; k < history.size(); ++k) {
    curve(k, 0) = double(history[k].step);
    curve(k, 1) = history[k].train_loss;
    curve(k, 2) = history[k].holdout_loss;
  }
  return curve;
}

std::string demo_script(const std::string& folder, bool with_truth) {
  const std::string f = folder;
  return fmt::format(
      "set terminal pngcairo size 1200,560 font ',11'\nset output '{0}/density.png'\n"
      "set multiplot layout 1,2\nset view map\nset size ratio -1\nunset key\nset palette rgb 33,13,10\n"
      "set xrange [{1}:{2}]\nset yrange [{1}:{2}]\n"
      "set title 'learned density exp(-phi)/Z'\nsplot '{0}/learned_density.dat' using 1:2:3 with image\n"
      "{3}"
      "unset multiplot\n"
      "set terminal pngcairo size 700,700 font ',11'\nset output '{0}/score.png'\nunset view\n"
      "set title 'learned score s = -grad phi over the samples'\n"
      "plot '{0}/samples.dat' with dots lc rgb '#999999', '{0}/score_field.dat' using 1:2:3:4 with vectors head "
      "filled size 0.04,20 lc rgb '#1f4e9c'\n"
      "set terminal pngcairo size 800,480 font ',11'\nset output '{0}/loss.png'\nset size noratio\n"
      "set autoscale\nset key top right\nset xlabel 'step'\nset ylabel 'score-matching loss'\nset title 'loss curve'\n"
      "plot '{0}/loss.dat' using 1:2 with linespoints title 'training (mean since last point)', '' using 1:3 with "
      "linespoints title 'held out'\n",
      f, -grid_extent, grid_extent,
      with_truth ? fmt::format("set title 'true density'\nsplot '{}/true_density.dat' using 1:2:3 with image\n", f)
                 : fmt::format("set title 'samples'\nplot '{}/samples.dat' with dots\n", f));
}

}  // namespace

void write_table(const std::string& path, const Matrix<double>& rows) {
  std::ofstream out(path);
  if (!out) throw IoError(fmt::format("cannot write '{}'", path));
  for (std::size_t i = 0; i < rows.rows(); ++i) {
    for (std::size_t j = 0; j < rows.cols(); ++j) out << (j ? " " : "") << fmt::format("{:.9g}", rows(i, j));
    out << '\n';
  }
}

bool run_gnuplot(const std::string& script_path) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    fmt::print(stderr,
               "gnuplot is not installed: the data and '{}' are written; apt-get install gnuplot-nox, then "
               "run gnuplot on it\n",
               script_path);
    return false;
  }
  const int status = std::system(fmt::format("gnuplot '{}'", script_path).c_str());
  if (status != 0) fmt::print(stderr, "gnuplot failed on '{}' (status {})\n", script_path, status);
  return status == 0;
}

void draw_demo(const std::string& folder, const nn::Potential& phi, const std::vector<double>& theta,
               const Matrix<double>& data, const std::optional<score::Dataset>& truth,
               const std::vector<score::Progress>& history) {
  write_table(folder + "/learned_density.dat",
              grid_table(score::density_grid(phi, theta, -grid_extent, grid_extent, grid_cells)));
  if (truth)
    write_table(folder + "/true_density.dat",
                grid_table(score::reference_grid(*truth, -grid_extent, grid_extent, grid_cells)));
  write_table(folder + "/samples.dat", first_rows(data, shown_samples));
  write_table(folder + "/score_field.dat", score_arrows(phi, theta));
  write_table(folder + "/loss.dat", loss_curve(history));
  const std::string script = folder + "/pictures.gp";
  io::write_atomically(script, demo_script(folder, truth.has_value()));
  if (run_gnuplot(script))
    fmt::print("pictures: {0}/density.png (learned beside true density), {0}/score.png (score field), {0}/loss.png\n",
               folder);
}

}  // namespace wengert::cli
