#include "agent/call_continuity.h"

namespace parley::agent {

using nlohmann::json;

std::optional<json> room_metadata_object(const std::string& metadata) {
  if (metadata.empty()) return json::object();
  auto j = json::parse(metadata, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string continuity_metadata(const json& room_metadata, const json& owner, const std::vector<CallTurn>& turns) {
  json out = room_metadata.is_object() ? room_metadata : json::object();
  json list = json::array();
  size_t first = turns.size() > kMaxTurns ? turns.size() - kMaxTurns : 0;
  for (size_t i = first; i < turns.size(); ++i) {
    std::string text = turns[i].text.substr(0, kMaxTurnChars);
    // Never cut inside a UTF-8 sequence: drop continuation bytes left at the end.
    while (text.size() < turns[i].text.size() && !text.empty() &&
           (static_cast<unsigned char>(turns[i].text[text.size()]) & 0xC0) == 0x80) {
      text.pop_back();
    }
    list.push_back({{"role", turns[i].role}, {"text", text}});
  }
  out[kMetadataKey] = {{"owner", owner}, {"turns", list}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<CallTurn> turns_from_metadata(const json& room_metadata) {
  std::vector<CallTurn> turns;
  if (!room_metadata.is_object() || !room_metadata.contains(kMetadataKey)) return turns;
  const auto& p = room_metadata[kMetadataKey];
  if (!p.is_object() || !p.contains("turns") || !p["turns"].is_array()) return turns;
  for (const auto& t : p["turns"]) {
    if (!t.is_object() || !t.contains("role") || !t.contains("text")) continue;
    if (!t["role"].is_string() || !t["text"].is_string()) continue;
    auto role = t["role"].get<std::string>();
    if (role != "user" && role != "assistant") continue;
    turns.push_back({role, t["text"].get<std::string>()});
  }
  return turns;
}

json owner_from_metadata(const json& room_metadata) {
  if (!room_metadata.is_object() || !room_metadata.contains(kMetadataKey)) return nullptr;
  const auto& p = room_metadata[kMetadataKey];
  if (!p.is_object() || !p.contains("owner") || !p["owner"].is_object()) return nullptr;
  return p["owner"];
}

}  // namespace parley::agent
