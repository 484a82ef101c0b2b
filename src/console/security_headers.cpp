#include "console/security_headers.h"

namespace parley::console {

namespace http = boost::beast::http;

void add_security_headers(service::HttpResponse& res, const std::string& connect_src) {
  std::string connect = "'self'";
  if (!connect_src.empty()) connect += " " + connect_src;
  res.set("Content-Security-Policy",
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
          "connect-src " + connect + "; media-src 'self' blob:; base-uri 'none'; form-action 'none'; "
          "frame-ancestors 'none'");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set("Cross-Origin-Resource-Policy", "same-origin");
  // The microphone for the playground only, from this origin; nothing else.
  res.set("Permissions-Policy", "microphone=(self), camera=(), geolocation=(), payment=(), usb=()");
  res.set(http::field::cache_control, "no-store");
}

bool same_origin(const service::HttpRequest& req) {
  auto site = req["Sec-Fetch-Site"];
  if (!site.empty() && site != "same-origin" && site != "none") return false;
  auto origin = req[http::field::origin];
  if (origin.empty()) return true;  // not a cross-origin browser request (curl, same-origin GET)
  auto host = req[http::field::host];
  if (host.empty()) return false;
  std::string h(host);
  return origin == "http://" + h || origin == "https://" + h;
}

}  // namespace parley::console
