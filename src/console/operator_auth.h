// The console's one credential: the operator's token (PARLEY_CONSOLE_TOKEN), sent as
// "Authorization: Bearer <token>" by scripts, or as basic auth's password (any user name) so
// that a browser's own login prompt works. Compared in constant time.
#pragma once

#include <string>
#include <string_view>

namespace parley::console {

// True when the Authorization header's value carries the token. An empty token never matches.
bool operator_authorized(std::string_view authorization, const std::string& token);

}  // namespace parley::console
