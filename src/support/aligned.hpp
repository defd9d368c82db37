// Buffers aligned to a cache line. A 64-byte register loaded from an address
// that is not a multiple of 64 spans two cache lines and costs two loads; a
// std::vector's storage is aligned to 16 bytes only (a large one sits 16 bytes
// past a page), so every AVX-512 load of the executor's arenas would split.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace wengert::detail {

inline constexpr std::size_t cache_line = 64;

template <class T>
struct CacheAligned {
  using value_type = T;
  CacheAligned() = default;
  template <class U>
  CacheAligned(const CacheAligned<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(cache_line))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t(cache_line)); }
  template <class U>
  bool operator==(const CacheAligned<U>&) const noexcept {
    return true;
  }
};

/// A vector whose first entry starts a cache line.
template <class T>
using AlignedVector = std::vector<T, CacheAligned<T>>;

}  // namespace wengert::detail
