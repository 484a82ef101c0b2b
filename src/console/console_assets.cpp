#include "console/console_assets.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace parley::console {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxFileBytes = 16 << 20;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string content_type_for(const std::string& name) {
  if (ends_with(name, ".html")) return "text/html; charset=utf-8";
  if (ends_with(name, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(name, ".css")) return "text/css; charset=utf-8";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  if (ends_with(name, ".png")) return "image/png";
  if (ends_with(name, ".json") || ends_with(name, ".map")) return "application/json";
  if (ends_with(name, ".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

Result<ConsoleAssets> ConsoleAssets::load(const std::string& folder) {
  const std::string fix = "build the page with scripts/build_console.sh (or install parley's package), or point "
                          "console.assets at the folder holding index.html";
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    return make_error(ErrorCode::kNotFound, "the console's page is not at " + folder + " (fix: " + fix + ")");
  }
  ConsoleAssets out;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    auto name = entry.path().filename().string();
    if (name.empty() || name.front() == '.') continue;
    if (entry.file_size(ec) > kMaxFileBytes) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    out.files_[name] = Asset{content_type_for(name), body.str()};
  }
  if (!out.files_.count("index.html")) {
    return make_error(ErrorCode::kNotFound, "no index.html in " + folder + " (fix: " + fix + ")");
  }
  return out;
}

std::string ConsoleAssets::default_folder(const std::string& binary) {
  std::error_code ec;
  fs::path bin = fs::canonical(binary, ec);
  if (ec) bin = binary;
  fs::path dir = bin.parent_path();
  // Installed: <prefix>/bin/parley and <prefix>/share/parley/console.
  fs::path installed = dir.parent_path() / "share" / "parley" / "console";
  if (fs::is_directory(installed, ec)) return installed.string();
  // A build tree: <build>/src/cli/parley or <build>/parley, with <build>/console.
  for (fs::path d = dir; !d.empty() && d != d.root_path(); d = d.parent_path()) {
    if (fs::is_directory(d / "console", ec) && fs::exists(d / "console" / "index.html", ec)) return (d / "console").string();
    if (fs::exists(d / "CMakeCache.txt", ec)) return (d / "console").string();
  }
  return installed.string();
}

const Asset* ConsoleAssets::find(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace parley::console
