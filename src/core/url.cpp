#include "core/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace parley {

namespace {

uint16_t default_port(std::string_view scheme) {
  if (scheme == "https" || scheme == "wss") return 443;
  if (scheme == "http" || scheme == "ws") return 80;
  return 0;
}

}  // namespace

std::string Url::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

bool Url::loopback() const {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string Url::to_string() const { return scheme + "://" + authority() + path; }

Url Url::as_http() const {
  Url u = *this;
  if (scheme == "ws") u.scheme = "http";
  if (scheme == "wss") u.scheme = "https";
  return u;
}

Url Url::as_websocket() const {
  Url u = *this;
  if (scheme == "http") u.scheme = "ws";
  if (scheme == "https") u.scheme = "wss";
  return u;
}

Result<Url> parse_url(std::string_view text) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'" + std::string(text) + "' has no scheme; write it as ws://host:port or wss://host");
  }
  Url url;
  url.scheme = std::string(text.substr(0, sep));
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!std::all_of(url.scheme.begin(), url.scheme.end(),
                   [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; })) {
    return make_error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' has an invalid scheme");
  }
  std::string_view rest = text.substr(sep + 3);
  auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  url.path = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (!url.path.empty() && url.path.front() != '/') url.path = "/" + url.path;
  if (authority.find('@') != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "credentials in a URL are not supported; put keys in the environment instead");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' has an unclosed IPv6 address");
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' is malformed");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' has no host");
  }
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      return make_error(ErrorCode::kInvalidArgument,
                        "port '" + std::string(port_text) + "' in '" + std::string(text) + "' is not a port number (1-65535)");
    }
    url.port = static_cast<uint16_t>(value);
  } else {
    url.port = default_port(url.scheme);
    if (url.port == 0) {
      return make_error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' needs a port for scheme " + url.scheme);
    }
  }
  return url;
}

std::string url_encode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace parley
