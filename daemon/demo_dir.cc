#include "daemon/demo_dir.h"

#include <sys/stat.h>

#include <filesystem>

#include "common/file_util.h"

namespace divaudit::daemon {

namespace fs = std::filesystem;

Status PrepareDemoDirectory(const std::string& dir) {
  const std::string marker = (fs::path(dir) / kDemoMarkerFile).string();
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (st.type() == fs::file_type::not_found) {
    fs::create_directories(dir, ec);
    if (ec) return InternalError("--dir " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
    return WriteFileAtomic(marker, "created by divaudit demo\n", 0600);
  }
  if (ec) return InternalError("--dir " + dir + ": " + ec.message());
  if (st.type() != fs::file_type::directory) {
    return InvalidArgumentError("--dir " + dir + ": not a directory (a symlink or a file)");
  }
  if (fs::exists(fs::symlink_status(marker, ec))) return Status::Ok();
  fs::directory_iterator it(dir, ec);
  if (ec) return InternalError("--dir " + dir + ": " + ec.message());
  if (it != fs::directory_iterator()) {
    std::string holds;
    for (const char* name : {"divaudit.toml", "divaudit.db", "client-secret"}) {
      if (fs::exists(fs::symlink_status(fs::path(dir) / name, ec))) {
        holds += std::string(holds.empty() ? " (it holds " : ", ") + name;
      }
    }
    if (!holds.empty()) holds += ")";
    return FailedPreconditionError(
        "--dir " + dir + ": refusing a directory the demo did not create" + holds +
        "; the demo overwrites divaudit.toml, client-secret and divaudit.db there. Give a new "
        "or empty directory, or omit --dir");
  }
  return WriteFileAtomic(marker, "created by divaudit demo\n", 0600);
}

}  // namespace divaudit::daemon
