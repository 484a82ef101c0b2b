#include "core/phone_number.h"

#include <cctype>

namespace parley {
namespace {

// E.164 allows at most 15 digits; the shortest numbers in use have 7 (country code included).
constexpr size_t kMinDigits = 7;
constexpr size_t kMaxDigits = 15;

bool is_separator(char c) { return c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '\t'; }

}  // namespace

Result<std::string> normalize_e164(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "'" + std::string(text) + "' is not a phone number: " + why);
  };
  bool plus = false;
  std::string digits;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c == '+') {
      if (plus || !digits.empty()) return bad("'+' may only start the number");
      plus = true;
    } else if (!is_separator(c)) {
      return bad(std::string("it contains '") + c + "'");
    }
  }
  if (digits.empty()) return bad("it has no digits");
  if (!plus) {
    if (digits.rfind("00", 0) == 0) {
      digits.erase(0, 2);  // 00 is the international call prefix in most of the world
    } else if (digits.size() == 11 && (digits[0] == '8' || digits[0] == '7')) {
      digits[0] = '7';  // Russia and Kazakhstan: 8 (trunk prefix) or 7 (country code), then 10 digits
    } else if (digits.size() == 11 && digits[0] == '1') {
      // North America: 1 (country code), then 10 digits
    } else {
      return bad("it has no country code (write it as +<country code><number>, e.g. +74951234567)");
    }
  }
  if (digits[0] == '0') return bad("no country code starts with 0");
  if (digits.size() < kMinDigits) return bad("it is too short for a number with its country code");
  if (digits.size() > kMaxDigits) return bad("it has more than 15 digits");
  // Every +7 number (Russia, Kazakhstan) has exactly 10 digits after the 7: one more or less is a
  // typo. Other countries' lengths vary, so only the E.164 bounds apply to them.
  if (digits[0] == '7' && digits.size() != 11) return bad("a +7 number has 10 digits after the 7");
  return "+" + digits;
}

}  // namespace parley
