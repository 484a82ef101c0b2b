// Which local address reaches a host: connect() a UDP socket (sends nothing) and read its name.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "livekit/rtc/peer_connection.h"

namespace parley::rtc {

Result<std::string> route_source_address(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), "9", &hints, &res); rc != 0 || res == nullptr) {
    return make_error(ErrorCode::kUnavailable, "cannot resolve '" + host + "': " + gai_strerror(rc), true);
  }
  std::string out;
  std::string err = "no address";
  for (addrinfo* ai = res; ai != nullptr && out.empty(); ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      char buf[INET6_ADDRSTRLEN] = {};
      const void* a = local.ss_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr)
                                                  : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr);
      if (inet_ntop(local.ss_family, a, buf, sizeof(buf)) != nullptr) out = buf;
    } else {
      err = std::strerror(errno);
    }
    ::close(fd);
  }
  freeaddrinfo(res);
  if (out.empty()) return make_error(ErrorCode::kUnavailable, "no route to '" + host + "': " + err, true);
  return out;
}

}  // namespace parley::rtc
