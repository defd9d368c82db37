// The processes that share each training step (data parallelism). Each rank
// computes the loss and its gradient on its own rows; the ranks sum them
// (weighted by their rows) and every rank takes the same optimiser step. One
// process alone is the default; wengert's MPI build supplies a communicator
// over MPI_COMM_WORLD (the library itself never links MPI).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "wengert/matrix.hpp"

namespace wengert::nn {

/// What the training core needs from a group of processes.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;  ///< this process, from 0
  virtual int size() const = 0;  ///< the processes in all
  /// Sums v over the ranks, in place. Every rank must get the same bits (so that
  /// their parameters never drift apart), and the same inputs the same result.
  virtual void sum(std::span<double> v) = 0;
  /// Collective: the error message of the lowest rank whose `mine` is not
  /// empty, on every rank; empty when no rank failed.
  virtual std::string first_error(const std::string& mine) = 0;
};

/// One process alone: size 1, sums are the values themselves.
Communicator& single_process();

/// A rank's rows of a set shared by the ranks: [begin, end), in rank order,
/// sizes differing by at most one (empty where there are fewer rows than ranks).
struct RowShare {
  std::size_t begin = 0;                            ///< the first row
  std::size_t end = 0;                              ///< one past the last
  std::size_t size() const { return end - begin; }  ///< the rows
};
RowShare share_rows(std::size_t rows, const Communicator& comm);  ///< this rank's share of `rows`
/// The rows `share` of `all`, as a matrix of their own.
Matrix<double> rows_of(const Matrix<double>& all, RowShare share);

/// Every rank's rows of a row-major array, on every rank: `all` holds this rank's
/// rows [share.begin, share.end) of `width` values each; the others are replaced by
/// the other ranks' rows (zeroed, then summed over the ranks: a sum of disjoint
/// shares, so exact).
void gather_rows(std::span<double> all, std::size_t width, RowShare share, Communicator& comm);

}  // namespace wengert::nn
