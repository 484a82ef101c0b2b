#include "console/sse.h"

namespace parley::console {

std::string sse_event(std::string_view event, std::string_view data, uint64_t id) {
  std::string out = "id: " + std::to_string(id) + "\nevent: ";
  for (char c : event) out += (c == '\n' || c == '\r') ? '_' : c;
  out += '\n';
  // CR, LF and CRLF all end a line in the format; each line of data gets its own field.
  size_t i = 0;
  while (true) {
    size_t j = data.find_first_of("\r\n", i);
    out += "data: ";
    out.append(data.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    out += '\n';
    if (j == std::string_view::npos) break;
    i = j + ((data[j] == '\r' && j + 1 < data.size() && data[j + 1] == '\n') ? 2 : 1);
  }
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  out += "\n\n";
  return out;
}

}  // namespace parley::console
