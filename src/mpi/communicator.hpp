// The training core's communicator over MPI (Open MPI from Debian): built only
// with -Dmpi=enabled or auto when MPI is found, and linked into the command line
// alone, never into the library.
#pragma once

#include <memory>

#include "wengert/nn/communicator.hpp"

namespace wengert::mpi {

/// MPI_Init and MPI_Finalize around a program's life, when it was launched by
/// mpirun (Open MPI's or PMIx's environment); otherwise nothing, and the
/// program runs as one process.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  /// The ranks of MPI_COMM_WORLD, or one process alone without mpirun.
  nn::Communicator& world();
  /// Ends every rank with this exit code (MPI_Abort) when more than one runs: a rank
  /// that fails alone must not leave the others waiting in a collective, nor wait
  /// for them in MPI_Finalize.
  void abort(int code);

 private:
  bool initialised_ = false;
  std::unique_ptr<nn::Communicator> world_;
};

}  // namespace wengert::mpi
