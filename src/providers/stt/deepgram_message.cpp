#include "providers/stt/deepgram_message.h"

#include <nlohmann/json.hpp>

namespace parley::providers {

namespace {

using json = nlohmann::json;

tl::unexpected<Error> bad(std::string_view what, std::string_view text) {
  std::string quoted(text.substr(0, 120));
  for (auto& c : quoted) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return make_error(ErrorCode::kProtocol, "Deepgram sent a malformed message (" + std::string(what) + "): '" + quoted +
                                              (text.size() > 120 ? "…" : "") + "'");
}

// An optional boolean: absent or null is false; any other type is an error.
bool flag(const json& j, const char* key, bool& ok) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    ok = false;
    return false;
  }
  return it->get<bool>();
}

std::string text_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<DeepgramMessage> parse_deepgram_message(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return bad("not JSON, or cut short", text);
  if (!j.is_object()) return bad("not a JSON object", text);
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return bad("no \"type\"", text);

  DeepgramMessage m;
  m.type_name = type->get<std::string>();
  if (m.type_name == "Results") {
    m.type = DeepgramMessageType::kResults;
    auto ch = j.find("channel");
    if (ch == j.end() || !ch->is_object()) return bad("Results without a \"channel\" object", text);
    auto alts = ch->find("alternatives");
    if (alts == ch->end() || !alts->is_array()) return bad("Results without \"channel.alternatives\"", text);
    if (!alts->empty()) {
      const auto& first = alts->front();
      if (!first.is_object()) return bad("an alternative is not an object", text);
      auto tr = first.find("transcript");
      if (tr == first.end() || !tr->is_string()) return bad("an alternative without a \"transcript\" string", text);
      m.transcript = tr->get<std::string>();
      auto conf = first.find("confidence");
      if (conf != first.end() && conf->is_number()) m.confidence = conf->get<double>();
    }
    bool ok = true;
    m.is_final = flag(j, "is_final", ok);
    m.speech_final = flag(j, "speech_final", ok);
    m.from_finalize = flag(j, "from_finalize", ok);
    if (!ok) return bad("is_final, speech_final or from_finalize is not a boolean", text);
    auto meta = j.find("metadata");
    if (meta != j.end() && meta->is_object()) m.request_id = text_field(*meta, "request_id");
  } else if (m.type_name == "Metadata") {
    m.type = DeepgramMessageType::kMetadata;
    m.request_id = text_field(j, "request_id");
  } else if (m.type_name == "UtteranceEnd") {
    m.type = DeepgramMessageType::kUtteranceEnd;
  } else if (m.type_name == "SpeechStarted") {
    m.type = DeepgramMessageType::kSpeechStarted;
  } else if (m.type_name == "Error") {
    m.type = DeepgramMessageType::kError;
    std::string d = text_field(j, "description"), msg = text_field(j, "message");
    m.error = d.empty() ? msg : (msg.empty() || msg == d ? d : d + ": " + msg);
    if (m.error.empty()) m.error = "no description";
    if (m.error.size() > 300) m.error = m.error.substr(0, 300) + "…";
  }
  return m;
}

}  // namespace parley::providers
