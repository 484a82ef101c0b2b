// The agent's fixed lines per language (English and Russian; other languages get English).
#pragma once

#include <string>
#include <string_view>

namespace parley::agent {

struct Prompts {
  std::string still_there;       // after calls.silence_timeout of silence
  std::string silence_goodbye;   // after a second silence_timeout: then it hangs up
  std::string time_limit;        // calls.max_duration reached: then it hangs up
  std::string transfer_failed;   // the operator transfer did not work
  std::string no_transfer;       // no agent.transfer_to configured
  std::string lost_you;          // first words of a call taken over from a worker that died
};

const Prompts& prompts_for(std::string_view language);

}  // namespace parley::agent
