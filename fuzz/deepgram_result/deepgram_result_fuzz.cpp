// Fuzzes what a Deepgram server (or anything answering at providers.deepgram.url) controls: the
// text messages of the streaming socket, parsed as they arrive.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "providers/stt/deepgram_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto m = parley::providers::parse_deepgram_message(input);
  if (m) {
    // Whatever parses is usable: a transcript and an error text of bounded use.
    (void)m->transcript.size();
    (void)m->error.size();
  } else if (m.error().message.size() > 400) {
    __builtin_trap();  // an error quotes at most 120 characters of the frame
  }
  return 0;
}
