// A small URL model for the endpoints parley talks to (LiveKit, webhooks, providers).
// LiveKit URLs come as ws://, wss://, http:// or https://; the same host serves the signal
// WebSocket and the HTTP server API, so each form maps to the other.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley {

struct Url {
  std::string scheme;  // lowercase: ws, wss, http, https
  std::string host;    // without brackets for IPv6
  uint16_t port = 0;   // explicit or the scheme's default
  std::string path;    // starts with '/', "/" when absent (query kept as part of it)

  bool secure() const { return scheme == "https" || scheme == "wss"; }
  // localhost, 127.0.0.0/8 or ::1: plaintext there never crosses a network.
  bool loopback() const;
  // Plaintext (ws://, http://) to a host that is not loopback: tokens, webhooks and speech
  // would cross the network readable by anyone on the path.
  bool plaintext_remote() const { return !secure() && !loopback(); }
  bool websocket() const { return scheme == "ws" || scheme == "wss"; }
  // host:port, with brackets around an IPv6 host
  std::string authority() const;
  std::string to_string() const;
  // The same endpoint as http(s):// or ws(s)://, keeping TLS as it was.
  Url as_http() const;
  Url as_websocket() const;
};

// Parses an absolute URL. Errors name what is missing or wrong ("no scheme", "no host",
// "port 99999 is out of range").
Result<Url> parse_url(std::string_view text);

// Percent-encodes a query value (RFC 3986 unreserved characters pass unchanged).
std::string url_encode(std::string_view value);

}  // namespace parley
