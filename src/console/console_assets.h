// The console's page: the files esbuild built (scripts/build_console.sh), read once at start
// from a folder (share/parley/console beside the binary when installed, the build's console/
// folder in a build tree) and served from memory. Only the files found there at start are
// served, under their own names: no path from a request ever reaches the file system.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/error.h"

namespace parley::console {

struct Asset {
  std::string content_type;
  std::string body;
};

class ConsoleAssets {
 public:
  // Reads every regular file directly in `folder` (no subfolders). An error names the folder
  // and how to build the page when index.html is missing.
  static Result<ConsoleAssets> load(const std::string& folder);
  // Where the page is looked for when console.assets is empty, from the running binary's path.
  static std::string default_folder(const std::string& binary);

  const Asset* find(const std::string& name) const;
  size_t size() const { return files_.size(); }

 private:
  std::map<std::string, Asset> files_;
};

std::string content_type_for(const std::string& name);

}  // namespace parley::console
