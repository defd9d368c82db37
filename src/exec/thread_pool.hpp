// A fixed set of worker threads that run one job at a time: job(t) on thread t,
// with thread 0 being the caller. Started once per program, so a run costs a
// hand-over, not a thread creation. Between runs a worker spins for a short
// while before it sleeps, and so does the caller waiting for the workers: runs
// that follow each other closely (a training loop) then never pay for a
// wake-up by the operating system, which costs as much as a small batch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wengert::detail {

class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work(t); });
  }
  ~ThreadPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs job(0) here and job(t) on worker t, returns when all are done, and
  /// rethrows the first exception any of them threw.
  void run(const std::function<void(int)>& job) {
    if (workers_.empty()) return job(0);
    {
      std::lock_guard lock(mutex_);
      job_ = &job;
      error_ = nullptr;
      pending_.store(static_cast<int>(workers_.size()));
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    std::exception_ptr mine;
    try {
      job(0);
    } catch (...) {
      mine = std::current_exception();
    }
    if (!spin_until([&] { return pending_.load() == 0; })) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [&] { return pending_.load() == 0; });
    }
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Spins for up to about 200 microseconds; true if the condition came true.
  template <class Condition>
  static bool spin_until(Condition done) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    for (int i = 0;; ++i) {
      if (done()) return true;
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > give_up) return false;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }

  void work(int t) {
    unsigned long seen = 0;
    for (;;) {
      if (!spin_until([&] { return generation_.load() != seen; })) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
      }
      const std::function<void(int)>* job;
      {
        std::lock_guard lock(mutex_);
        seen = generation_.load();
        if (stopping_) return;
        job = job_;
      }
      std::exception_ptr failure;
      try {
        (*job)(t);
      } catch (...) {
        failure = std::current_exception();
      }
      std::lock_guard lock(mutex_);
      if (failure && !error_) error_ = failure;
      if (pending_.fetch_sub(1) == 1) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<unsigned long> generation_{0};
  std::atomic<int> pending_{0};
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace wengert::detail
