#include "livekit/room/data_backlog.h"

namespace parley::livekit {

bool DataBacklog::waiting(const std::string& label) const {
  auto it = held_.find(label);
  return it != held_.end() && !it->second.empty();
}

Status DataBacklog::hold(const std::string& label, std::string packet) {
  if (bytes_ + packet.size() > max_bytes_) {
    return make_error(ErrorCode::kResourceExhausted,
                      "data channel '" + label + "' has not opened and " + std::to_string(bytes_) +
                          " bytes already wait for it (limit " + std::to_string(max_bytes_) + ")");
  }
  bytes_ += packet.size();
  held_[label].push_back(std::move(packet));
  return {};
}

std::vector<std::string> DataBacklog::take(const std::string& label) {
  std::vector<std::string> out;
  auto it = held_.find(label);
  if (it == held_.end()) return out;
  for (auto& p : it->second) {
    bytes_ -= p.size();
    out.push_back(std::move(p));
  }
  held_.erase(it);
  return out;
}

void DataBacklog::clear() {
  held_.clear();
  bytes_ = 0;
}

}  // namespace parley::livekit
