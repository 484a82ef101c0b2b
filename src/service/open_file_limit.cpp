#include "service/open_file_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace parley::service {

Result<OpenFileLimit> raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return make_error(ErrorCode::kInternal, std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  OpenFileLimit out{lim.rlim_cur, lim.rlim_cur, lim.rlim_max};
  rlim_t target = lim.rlim_max;
  if (target == RLIM_INFINITY) {
    // setrlimit refuses more than fs.nr_open descriptors, "unlimited" included.
    uint64_t nr_open = 1 << 20;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    target = nr_open;
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur >= target) return out;
  lim.rlim_cur = target;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return make_error(ErrorCode::kInternal, std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  out.soft = target;
  return out;
}

}  // namespace parley::service
