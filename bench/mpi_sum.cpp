// What one training step's collective costs: the sum of a parameter vector over
// the ranks (wengert's: gathered on rank 0, summed in rank order, broadcast),
// beside MPI_Allreduce, for the MLPs [2, 64, 64, 1] and [64, 256, 256, 1].
//
//   mpirun -n 2 build/bench/mpi_sum
#include <mpi.h>

#include <algorithm>
#include <vector>
#include <fmt/format.h>

#include "machine.hpp"
#include "mpi/communicator.hpp"

namespace {

// The median over 7 rounds of the mean time of `reps` calls, in microseconds.
template <class Call>
double median_us(Call call, int reps) {
  std::vector<double> rounds;
  for (int round = 0; round < 7; ++round) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    for (int i = 0; i < reps; ++i) call();
    rounds.push_back((MPI_Wtime() - start) / reps * 1e6);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[3];
}

}  // namespace

int main(int argc, char** argv) {
  wengert::mpi::Session session(argc, argv);
  wengert::nn::Communicator& world = session.world();
  if (world.rank() == 0) {
    bench::print_machine();
    fmt::print("{} ranks; the sum of the loss, its gradient and a failure flag (parameters + 2 doubles)\n",
               world.size());
    fmt::print("{:<22} {:>10} {:>16} {:>16}\n", "MLP", "doubles", "wengert sum", "MPI_Allreduce");
  }
  for (auto [name, parameters] : {std::pair{"[2, 64, 64, 1]", 4416}, std::pair{"[64, 256, 256, 1]", 82688}}) {
    std::vector<double> v(std::size_t(parameters) + 2, 1.0), out(v.size());
    const int reps = parameters < 10000 ? 2000 : 200;
    const double ours = median_us([&] { world.sum(v); }, reps);
    const double allreduce = median_us(
        [&] { MPI_Allreduce(v.data(), out.data(), int(v.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); }, reps);
    if (world.rank() == 0) fmt::print("{:<22} {:>10} {:>14.1f}us {:>14.1f}us\n", name, v.size(), ours, allreduce);
  }
  return 0;
}
