// Audio and codec bytes of a call are private: every buffer that holds them is wiped before its
// memory goes back to the allocator (also when a vector grows and moves), so a later allocation
// or a core dump never shows another call's speech.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace parley::media {

// Overwrites n bytes at p in a way the compiler may not elide.
void secure_zero(void* p, std::size_t n) noexcept;

template <class T>
struct ZeroingAllocator {
  using value_type = T;
  ZeroingAllocator() noexcept = default;
  template <class U>
  ZeroingAllocator(const ZeroingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_zero(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const ZeroingAllocator<U>&) const noexcept { return true; }
};

// A std::vector whose storage is zeroed when freed.
template <class T>
using SecureVector = std::vector<T, ZeroingAllocator<T>>;

}  // namespace parley::media
