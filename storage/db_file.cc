#include "storage/db_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/logging.h"

namespace divaudit::storage {
namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Uid() { return "uid " + std::to_string(::geteuid()); }

Status ErrnoStatus(int err, const std::string& msg) {
  const std::string full = msg + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM || err == EROFS) return PermissionDeniedError(full);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(full);
  return UnavailableError(full);
}

// Which access `path` lacks for a writer (the file read+write, its directory write+search for
// SQLite's -wal/-shm), or Ok.
Status CheckWriterAccess(const std::string& path) {
  const std::string dir = DirectoryOf(path);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return ErrnoStatus(errno, path + ": directory " + dir + " is not writable by " + Uid() +
                                  " (a writer creates " + path + "-wal and -shm there)");
  }
  if (::access(path.c_str(), R_OK | W_OK) != 0) {
    return ErrnoStatus(errno, path + ": the database is not readable and writable by " + Uid());
  }
  return Status::Ok();
}

}  // namespace

Status RefuseLinksAndSpecialFiles(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoStatus(errno, path + ": stat");
  }
  if (S_ISLNK(st.st_mode)) {
    return FailedPreconditionError(path +
                                   " is a symbolic link; refusing it (give the real path of the "
                                   "database in [storage] path)");
  }
  if (!S_ISREG(st.st_mode)) {
    return FailedPreconditionError(path + " is not a regular file; refusing it");
  }
  return Status::Ok();
}

Status PrepareWritableFile(const std::string& path) {
  for (const std::string& p : {path, path + "-wal", path + "-shm"}) {
    DIVAUDIT_RETURN_IF_ERROR(RefuseLinksAndSpecialFiles(p));
  }
  // Create the file ourselves so that it is 0600 from its first byte; never follow a link.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return CheckWriterAccess(path);
  }
  if (errno != EEXIST) {
    const int err = errno;
    return ErrnoStatus(
        err, path + ": cannot create the database in " + DirectoryOf(path) + " as " + Uid());
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    GetLogger("storage")->warn(
        "event=db_mode_open path={} mode={:o} (readable by group or others; divaudit leaves an "
        "existing file's mode alone)",
        path, st.st_mode & 0777);
  }
  return CheckWriterAccess(path);
}

Status CheckReadableFile(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return NotFoundError("no database at " + path);
  }
  for (const std::string& p : {path, path + "-wal", path + "-shm"}) {
    DIVAUDIT_RETURN_IF_ERROR(RefuseLinksAndSpecialFiles(p));
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return ErrnoStatus(errno, path + ": the database is not readable by " + Uid());
  }
  return Status::Ok();
}

Result<FileIdentity> IdentityOf(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, path + ": stat");
  return FileIdentity{st.st_dev, st.st_ino};
}

Status CheckStillOpenedFile(const std::string& path, const FileIdentity& opened) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return DataLossError("database " + path +
                           " was deleted while divaudit had it open; nothing more is committed "
                           "(restart divaudit to start a new database, or restore the file)");
    }
    return ErrnoStatus(errno, path + ": stat");
  }
  if (FileIdentity{st.st_dev, st.st_ino} != opened) {
    return DataLossError("database " + path +
                         " was replaced by another file while divaudit had it open; nothing "
                         "more is committed (restart divaudit to use the new file)");
  }
  return Status::Ok();
}

std::string DescribeThisProcess() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string out;
  std::string arg;
  std::istringstream args(buf.str());
  bool first = true;
  while (std::getline(args, arg, '\0')) {
    if (first) {
      const size_t slash = arg.rfind('/');
      if (slash != std::string::npos) arg = arg.substr(slash + 1);
      first = false;
    } else {
      out += ' ';
    }
    out += arg;
    if (out.size() > 200) break;
  }
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out.empty() ? "unknown command" : out.substr(0, 200);
}

Result<WriterLock> WriterLock::Acquire(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  DIVAUDIT_RETURN_IF_ERROR(RefuseLinksAndSpecialFiles(path));
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, path + ": cannot open the writer lock as " + Uid());
  WriterLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) return ErrnoStatus(err, path + ": flock");
    char text[256] = {};
    const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
    std::string holder(text, n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    if (holder.empty()) holder = "another process";
    return UnavailableError("database " + db_path + " is locked by " + holder +
                            "; one writer at a time (lock file " + path + ")");
  }
  const std::string holder =
      "pid " + std::to_string(::getpid()) + " (" + DescribeThisProcess() + ")\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size())) {
    return ErrnoStatus(errno, path + ": write");
  }
  return lock;
}

WriterLock& WriterLock::operator=(WriterLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

}  // namespace divaudit::storage
