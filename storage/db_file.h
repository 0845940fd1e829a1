#pragma once

#include <sys/types.h>

#include <string>

#include "common/status.h"

namespace divaudit::storage {

// The database file on disk, before and around SQLite: which paths are acceptable, how the file
// is created, whether it is still the file that was opened, and the one-writer lock.

// The device and inode of a file: what "the same file" means.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// Refuses a symbolic link or anything but a regular file at `path` (kFailedPrecondition naming
// it). A missing path is fine here.
Status RefuseLinksAndSpecialFiles(const std::string& path);

// For a writer: checks `path`, `path-wal` and `path-shm` (RefuseLinksAndSpecialFiles), then
// creates `path` 0600 when it does not exist (never following a link). An existing file keeps
// its mode; a mode readable by group/others is only logged. Errors name the path and the
// missing access: kPermissionDenied (unwritable file or directory), kResourceExhausted.
Status PrepareWritableFile(const std::string& path);

// For a reader: kNotFound "no database at PATH" when missing; RefuseLinksAndSpecialFiles on
// the three paths; nothing is created or changed.
Status CheckReadableFile(const std::string& path);

// The identity of the file at `path` now (never following a link).
Result<FileIdentity> IdentityOf(const std::string& path);

// Before a write: kDataLoss when `path` no longer names the file that was opened (deleted,
// or replaced by another file), naming the path.
Status CheckStillOpenedFile(const std::string& path, const FileIdentity& opened);

// "divaudit run": this process's program name and subcommand, for the lock file.
std::string DescribeThisProcess();

// An exclusive advisory lock (flock) on `PATH.lock`, held for the object's lifetime and
// released by the kernel when the process dies. The file holds "pid N (COMMAND)" of the
// holder. Readers never take it.
class WriterLock {
 public:
  // kUnavailable "database PATH is locked by pid N (divaudit run)" when another open file
  // description holds it (another process, or another store in this one).
  static Result<WriterLock> Acquire(const std::string& db_path);
  WriterLock(WriterLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  WriterLock& operator=(WriterLock&& o) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock();

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace divaudit::storage
