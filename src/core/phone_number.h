// Phone numbers in E.164 form (+<country code><number>, digits only), which is how LiveKit's
// SIP trunks match the called number. Operators write numbers the way they read them on a
// bill, so the usual national spellings are accepted and rewritten:
//   "+1 (555) 010-0000", "1 555 010 0000"  -> "+15550100000"
//   Russian "8 495 123-45-67", "8(495)1234567", "+7 (495) 123-45-67", "7 495 1234567"
//                                          -> "+74951234567"
//   "0049 30 1234567" (international prefix 00) -> "+49301234567"
// Anything that cannot be a number is refused with an error saying why.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace parley {

Result<std::string> normalize_e164(std::string_view text);

}  // namespace parley
