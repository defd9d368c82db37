// 07. The lecture's first figure: two potentials that differ by a constant,
// phi1 = ½x² and phi2 = ½x² + 1, have equal gradients (scores) and — once each
// is normalised by its own partition function Z — equal densities. That is why
// matching scores is enough: the constant disappears into Z.
//
// Checks: the gradients from the gradient tapes agree everywhere; the
// normalised densities agree; Z2 / Z1 = e⁻¹. Draws lecture_figure.png with
// gnuplot when it is installed.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <wengert/wengert.hpp>

#include "check.hpp"

int main() {
  auto potential = [](double shift) {
    wengert::Recorder rec;
    wengert::Var x = rec.data("x", 1);
    rec.output("phi", 0.5 * square(x) + shift);
    return rec.finish();
  };
  wengert::Tape phi1 = potential(0.0), phi2 = potential(1.0);
  wengert::Derivatives<double> d1(phi1), d2(phi2);

  const std::size_t n = 601;  // x in [-3, 3]
  const double h = 6.0 / double(n - 1);
  wengert::Matrix<double> x(n, 1);
  for (std::size_t i = 0; i < n; ++i) x(i, 0) = -3.0 + h * double(i);
  wengert::Inputs<double> at{{"x", x}};
  wengert::Matrix<double> v1 = d1.value(at), v2 = d2.value(at), g1 = d1.gradient(at), g2 = d2.gradient(at);

  double z1 = 0, z2 = 0, gradient_gap = 0;  // Z = ∫ exp(-phi) dx on the grid
  for (std::size_t i = 0; i < n; ++i) {
    z1 += std::exp(-v1(i, 0)) * h;
    z2 += std::exp(-v2(i, 0)) * h;
    gradient_gap = std::max(gradient_gap, std::abs(g1(i, 0) - g2(i, 0)));
  }
  double density_gap = 0;
  for (std::size_t i = 0; i < n; ++i)
    density_gap = std::max(density_gap, std::abs(std::exp(-v1(i, 0)) / z1 - std::exp(-v2(i, 0)) / z2));
  walkthrough::check("largest gradient difference", gradient_gap, 0.0);
  walkthrough::check("gradient at x = 1.5 (= x)", g1(450, 0), 1.5);
  walkthrough::check("Z2 / Z1 (= 1/e)", z2 / z1, std::exp(-1.0));
  walkthrough::check("largest density difference", density_gap, 0.0);

  std::ofstream data("lecture_figure.dat");
  for (std::size_t i = 0; i < n; ++i)
    data << x(i, 0) << ' ' << v2(i, 0) << ' ' << v1(i, 0) << ' ' << g2(i, 0) << ' ' << g1(i, 0) << ' '
         << std::exp(-v2(i, 0)) / z2 << ' ' << std::exp(-v1(i, 0)) / z1 << '\n';
  data.close();
  std::ofstream gp("lecture_figure.gp");
  gp << "set terminal pngcairo size 1200,360 font ',10'\nset output 'lecture_figure.png'\nset multiplot layout 1,3\n"
        "set key top center\nset xlabel 'x'\n"
        "set title 'potentials'\nplot 'lecture_figure.dat' u 1:2 w l lw 2 t 'x²/2 + 1', '' u 1:3 w l lw 2 dt 2 t "
        "'x²/2'\n"
        "set title 'gradients (minus the scores)'\nplot '' u 1:4 w l lw 2 t 'model', '' u 1:5 w l lw 2 dt 2 t 'data'\n"
        "set title 'normalised densities'\nplot '' u 1:6 w l lw 2 t 'model', '' u 1:7 w l lw 2 dt 2 t 'data'\n"
        "unset multiplot\n";
  gp.close();
  walkthrough::draw("lecture_figure.gp", "lecture_figure.png", "potentials, gradients, normalised densities");
  return walkthrough::finish();
}
