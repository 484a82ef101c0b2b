#include "providers/http/sse_parser.h"

namespace parley::providers {

Status SseParser::feed(std::string_view chunk, const std::function<void(SseEvent)>& on_event) {
  for (char c : chunk) {
    if (c == '\n' && last_cr_) {  // the \n of \r\n: the line already ended at \r
      last_cr_ = false;
      continue;
    }
    last_cr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      line(on_event);
      line_.clear();
      continue;
    }
    if (line_.size() >= max_line_) {
      return make_error(ErrorCode::kProtocol, "an event-stream line is longer than " + std::to_string(max_line_) + " bytes");
    }
    line_ += c;
  }
  return {};
}

void SseParser::line(const std::function<void(SseEvent)>& on_event) {
  if (line_.empty()) {
    if (has_data_) {
      SseEvent e = std::move(current_);
      current_ = {};
      has_data_ = false;
      on_event(std::move(e));
    } else {
      current_.event.clear();
    }
    return;
  }
  if (line_[0] == ':') return;  // comment (keep-alive)
  auto colon = line_.find(':');
  std::string_view field = std::string_view(line_).substr(0, colon);
  std::string_view value;
  if (colon != std::string::npos) {
    value = std::string_view(line_).substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
  }
}

}  // namespace parley::providers
