// MPI_COMM_WORLD as the training core's communicator.
//
// sum: the vectors are gathered on rank 0, summed there in rank order and the sum
// broadcast. Every rank gets the same bits, and the same run the same bits on any
// network (MPI_Allreduce promises neither); it costs a gather and a broadcast
// instead of a reduction, which for the parameter vectors of small MLPs is a
// few tens of microseconds over loopback (bench: wengert-mpi-bench).
#include "mpi/communicator.hpp"

#include <mpi.h>

#include <cstdlib>
#include <vector>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::mpi {

namespace {

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_SIZE");
}

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw Error(fmt::format("{} failed (MPI error {})", what, code));
}

class World final : public nn::Communicator {
 public:
  World() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void sum(std::span<double> v) override {
    const int n = static_cast<int>(v.size());
    if (rank_ == 0) gathered_.resize(v.size() * std::size_t(size_));
    check(MPI_Gather(v.data(), n, MPI_DOUBLE, gathered_.data(), n, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Gather");
    if (rank_ == 0)
      for (std::size_t i = 0; i < v.size(); ++i) {
        double s = 0;
        for (int r = 0; r < size_; ++r) s += gathered_[std::size_t(r) * v.size() + i];  // rank order
        v[i] = s;
      }
    check(MPI_Bcast(v.data(), n, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Bcast");
  }

  std::string first_error(const std::string& mine) override {
    int failing = mine.empty() ? size_ : rank_, first = size_;
    check(MPI_Allreduce(&failing, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
    if (first == size_) return {};
    std::string message = rank_ == first ? mine : std::string();
    int length = static_cast<int>(message.size());
    check(MPI_Bcast(&length, 1, MPI_INT, first, MPI_COMM_WORLD), "MPI_Bcast");
    message.resize(std::size_t(length));
    check(MPI_Bcast(message.data(), length, MPI_CHAR, first, MPI_COMM_WORLD), "MPI_Bcast");
    return fmt::format("rank {}: {}", first, message);
  }

 private:
  int rank_ = 0, size_ = 1;
  std::vector<double> gathered_;
};

}  // namespace

Session::Session(int& argc, char**& argv) {
  if (!launched_by_mpirun()) return;
  check(MPI_Init(&argc, &argv), "MPI_Init");
  initialised_ = true;
  world_ = std::make_unique<World>();
}

Session::~Session() {
  world_.reset();
  if (initialised_) MPI_Finalize();
}

nn::Communicator& Session::world() { return world_ ? *world_ : nn::single_process(); }

void Session::abort(int code) {
  if (world_ && world_->size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

}  // namespace wengert::mpi
