// calls.mask_numbers: phone numbers shown as "+1555***4567" in logs. A number hides in more
// places than its own field: the SIP caller's identity is "sip_<number>" and an individual
// dispatch rule's room is "<prefix>_<number>_<random>" (livekit-protocol.md §7), so masking
// covers those texts too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::service {

// "+15551234567" -> "+1555***4567"; numbers shorter than 8 characters are fully masked.
std::string mask_number(const std::string& number);

// `text` with every phone number in it masked: each of `known` (exact, any length), then any
// run of at least 7 digits (with its leading '+', if any) not already masked. "sip_+15551234567"
// -> "sip_+1555***4567"; "call_+15551234567_Xy12" -> "call_+1555***4567_Xy12".
std::string mask_phone_numbers(std::string_view text, const std::vector<std::string>& known = {});

}  // namespace parley::service
