// parley serve holds a file descriptor per HTTP connection, per call (sockets to LiveKit, the
// media path) and per provider stream. The usual soft limit of 1,024 is reached long before the
// connection caps are, and accept then fails, so serve raises its soft limit to the hard limit.
#pragma once

#include <cstdint>

#include "core/error.h"

namespace parley::service {

struct OpenFileLimit {
  uint64_t before = 0;  // soft limit found
  uint64_t soft = 0;    // soft limit now
  uint64_t hard = 0;
};

// Raises RLIMIT_NOFILE's soft limit to its hard limit (capped at what the kernel accepts:
// nr_open, for an unlimited hard limit).
Result<OpenFileLimit> raise_open_file_limit();

}  // namespace parley::service
