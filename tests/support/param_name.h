// Readable names for value-parameterised tests. CMake's test discovery names a case by how gtest
// prints its parameter; a struct without PrintTo prints as its raw bytes, pointers included,
// which change from build to build: such a test cannot be filtered or tracked. Give the struct a
// PrintTo that prints param_name(...) of what tells the cases apart. (A gtest name generator
// does not help: CMake 3.25 then keeps gtest's "# GetParam() = <bytes>" comment in the name.)
#pragma once

#include <cctype>
#include <ostream>
#include <string>

namespace parley::test {

// `text` as a gtest name: letters and digits kept, every other run of characters one '_'.
inline std::string param_name(const std::string& text) {
  std::string name;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      name += static_cast<char>(c);
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  return name.empty() ? "empty" : name;
}

}  // namespace parley::test
