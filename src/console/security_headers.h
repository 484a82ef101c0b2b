// What every console response carries, and the refusal of use from other sites.
//
// The page loads only its own scripts, styles and images (no inline script, no CDN), talks only
// to its own origin and to LiveKit (the playground's WebSocket), and cannot be framed. The API
// sends no CORS headers, so other origins cannot read it; requests that a browser marks as
// coming from another site (Origin, Sec-Fetch-Site) are refused before anything runs, which
// also stops cross-site form posts that would otherwise ride on a remembered basic-auth login.
#pragma once

#include <string>

#include "service/http_server.h"

namespace parley::console {

// connect_src: origins the page may connect to besides its own (LiveKit's ws:// or wss:// URL).
void add_security_headers(service::HttpResponse& res, const std::string& connect_src);

// False when the browser says the request comes from another origin.
bool same_origin(const service::HttpRequest& req);

}  // namespace parley::console
