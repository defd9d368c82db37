// One process alone, and the row shares every communicator's users compute
// alike (communicator.hpp).
#include "wengert/nn/communicator.hpp"

#include <algorithm>

namespace wengert::nn {

namespace {

// One process alone.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void sum(std::span<double>) override {}
  std::string first_error(const std::string& mine) override { return mine; }
};

}  // namespace

Communicator& single_process() {
  static SingleProcess alone;
  return alone;
}

RowShare share_rows(std::size_t rows, const Communicator& comm) {
  const auto r = std::size_t(comm.rank()), p = std::size_t(comm.size());
  return {rows * r / p, rows * (r + 1) / p};
}

Matrix<double> rows_of(const Matrix<double>& all, RowShare share) {
  Matrix<double> mine(share.size(), all.cols());
  std::copy_n(all.data() + share.begin * all.cols(), share.size() * all.cols(), mine.data());
  return mine;
}

void gather_rows(std::span<double> all, std::size_t width, RowShare share, Communicator& comm) {
  if (comm.size() == 1) return;
  std::fill(all.begin(), all.begin() + std::ptrdiff_t(share.begin * width), 0.0);
  std::fill(all.begin() + std::ptrdiff_t(share.end * width), all.end(), 0.0);
  comm.sum(all);
}

}  // namespace wengert::nn
