#include "media/secure_buffer.h"

#include <cstring>

namespace parley::media {

void secure_zero(void* p, std::size_t n) noexcept {
  if (p == nullptr || n == 0) return;
  // glibc's explicit_bzero is never optimised away, unlike a memset before free.
  explicit_bzero(p, n);
}

}  // namespace parley::media
