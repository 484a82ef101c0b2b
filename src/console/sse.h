// Server-Sent Events framing (the WHATWG HTML standard's text/event-stream): an event's data may
// span lines (each becomes its own "data:" line, so a newline inside can never end the event
// early or forge a field), and a comment line keeps an idle connection open through proxies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::console {

// "id: <id>\nevent: <event>\ndata: <line>\n...\n\n". `event` must be a single token.
std::string sse_event(std::string_view event, std::string_view data, uint64_t id);
// ": <text>\n\n"
std::string sse_comment(std::string_view text);

}  // namespace parley::console
