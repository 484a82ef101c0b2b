#include "service/number_masking.h"

#include <algorithm>
#include <cctype>

namespace parley::service {

namespace {

// Shorter runs are extensions, years, durations: not worth hiding, and too common to guess.
constexpr size_t kMinDigitsInText = 7;

bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::string mask_number(const std::string& number) {
  if (number.size() < 8) return std::string(number.size(), '*');
  return number.substr(0, 5) + "***" + number.substr(number.size() - 4);
}

std::string mask_phone_numbers(std::string_view text, const std::vector<std::string>& known) {
  std::string out(text);
  std::vector<std::string> numbers;
  for (const auto& n : known) {
    if (!n.empty()) numbers.push_back(n);
  }
  // Longest first: "+15551234567" before "15551234567" it contains.
  std::sort(numbers.begin(), numbers.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& n : numbers) {
    const std::string masked = mask_number(n);
    for (size_t pos = out.find(n); pos != std::string::npos; pos = out.find(n, pos + masked.size())) {
      out.replace(pos, n.size(), masked);
    }
  }
  std::string result;
  result.reserve(out.size());
  for (size_t i = 0; i < out.size();) {
    if (!digit(out[i])) {
      result += out[i++];
      continue;
    }
    size_t end = i;
    while (end < out.size() && digit(out[end])) ++end;
    if (end - i >= kMinDigitsInText) {
      const bool plus = !result.empty() && result.back() == '+';
      if (plus) result.pop_back();
      result += mask_number((plus ? "+" : "") + out.substr(i, end - i));
    } else {
      result.append(out, i, end - i);
    }
    i = end;
  }
  return result;
}

}  // namespace parley::service
