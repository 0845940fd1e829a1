// The database file under an operator's (or a second writer's) hands: deleted or replaced under
// a running store, a stale sweep committing after a newer one, symbolic links, file modes,
// read-only opens, concurrent first opens, one org per database, one writer at a time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "common/clock.h"
#include "storage/sqlite_snapshot_store.h"
#include "tests/storage/store_test_util.h"

namespace divaudit::storage {
namespace {

using audit::SweepStatus;
using testing::MakeFinding;
using testing::MakeInfo;
using testing::MakeOrg;
using testing::RawDb;
using testing::TempDir;

constexpr int64_t kT0 = 1790000000;

SqliteStoreOptions NoLock() {
  SqliteStoreOptions o;
  o.writer_lock = false;
  return o;
}
SqliteStoreOptions ReadOnly() {
  SqliteStoreOptions o;
  o.read_only = true;
  return o;
}

std::unique_ptr<SqliteSnapshotStore> MustOpen(const std::string& path, const Clock& clock,
                                              SqliteStoreOptions options = {}) {
  auto s = SqliteSnapshotStore::Open(path, clock, options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

struct FileState {
  bool exists = false;
  off_t size = 0;
  int64_t mtime_ns = 0;
  mode_t mode = 0;
  friend bool operator==(const FileState&, const FileState&) = default;
};
FileState StateOf(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  return {true, st.st_size,
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, st.st_mode};
}

class FileSafetyTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.File("divaudit.db");
  FakeClock clock_;
};

// Failure 2: a database deleted (or replaced) under a running store is noticed before the next
// commit; nothing pretends to be committed.
TEST_F(FileSafetyTest, DeletedDatabaseFailsTheNextCommitNamingThePath) {
  auto store = MustOpen(path_, clock_);
  ASSERT_TRUE(store->CommitSweep(MakeInfo(kT0), MakeOrg(), {}).ok());
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  auto r = store->CommitSweep(MakeInfo(kT0 + 900), MakeOrg(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), path_)) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "deleted")) << r.status().ToString();
}

TEST_F(FileSafetyTest, ReplacedDatabaseFailsTheNextCommit) {
  auto store = MustOpen(path_, clock_);
  ASSERT_TRUE(store->CommitSweep(MakeInfo(kT0), MakeOrg(), {}).ok());
  const std::string other = dir_.File("other.db");
  { std::filesystem::copy_file(path_, other); }
  ASSERT_EQ(::rename(other.c_str(), path_.c_str()), 0);
  auto r = store->CommitSweep(MakeInfo(kT0 + 900), MakeOrg(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "replaced")) << r.status().ToString();
}

// Failure 3: a sweep that started before another sweep committed must not commit after it
// (a fixed finding came back: opened → resolved → reopened).
TEST_F(FileSafetyTest, StaleSweepDoesNotCommitAfterANewerOne) {
  auto a = MustOpen(path_, clock_, NoLock());
  const auto f = MakeFinding("user-1", "div-3");
  ASSERT_TRUE(a->CommitSweep(MakeInfo(kT0), MakeOrg(), {f}).ok());
  auto b = MustOpen(path_, clock_, NoLock());  // B's sweep begins: it is based on sweep 1
  ASSERT_TRUE(a->CommitSweep(MakeInfo(kT0 + 900), MakeOrg(), {}).ok());  // F fixed: resolved
  auto stale = b->CommitSweep(MakeInfo(kT0 + 60), MakeOrg(), {f});       // B still saw F
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition) << stale.status().ToString();
  EXPECT_TRUE(Contains(stale.status().message(), path_)) << stale.status().ToString();
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sweeps"), 2);
  EXPECT_EQ(raw.Text("SELECT group_concat(event, ',') FROM (SELECT event FROM findings_events "
                     "WHERE fingerprint = '" +
                     f.fingerprint + "' ORDER BY id)"),
            "opened,resolved");
  // B's next sweep starts after the refusal, so it is based on the newest state.
  EXPECT_TRUE(b->CommitSweep(MakeInfo(kT0 + 1800), MakeOrg(), {}).ok());
}

// Failure 4: a symbolic link at the database path (or -wal/-shm) is refused, its target
// untouched; an existing file's mode is never changed.
TEST_F(FileSafetyTest, SymlinkedDatabaseIsRefusedAndItsTargetUntouched) {
  const std::string target = dir_.File("target");
  { std::ofstream(target) << ""; }
  ASSERT_EQ(::chmod(target.c_str(), 0644), 0);
  ASSERT_EQ(::symlink(target.c_str(), path_.c_str()), 0);
  for (const SqliteStoreOptions& o : {SqliteStoreOptions{}, ReadOnly()}) {
    auto s = SqliteSnapshotStore::Open(path_, clock_, o);
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(Contains(s.status().message(), "symbolic link")) << s.status().ToString();
    EXPECT_TRUE(Contains(s.status().message(), path_)) << s.status().ToString();
  }
  EXPECT_EQ(StateOf(target).mode & 07777, 0644u);
  EXPECT_EQ(StateOf(target).size, 0);
}

// (The field report was a link to /dev/null left crw-------; a FIFO of our own stands in for the
// device so that the test cannot harm the machine when run against a build with the bug.)
TEST_F(FileSafetyTest, SymlinkToASpecialFileOrASpecialFileIsRefusedAndLeftAlone) {
  const std::string fifo = dir_.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0);
  ASSERT_EQ(::chmod(fifo.c_str(), 0666), 0);
  ASSERT_EQ(::symlink(fifo.c_str(), path_.c_str()), 0);
  const FileState before = StateOf(fifo);
  for (const SqliteStoreOptions& o : {SqliteStoreOptions{}, ReadOnly()}) {
    EXPECT_FALSE(SqliteSnapshotStore::Open(path_, clock_, o).ok());
    EXPECT_FALSE(SqliteSnapshotStore::Open(fifo, clock_, o).ok());
  }
  EXPECT_EQ(StateOf(fifo), before);
  EXPECT_EQ(StateOf(fifo).mode & 07777, 0666u);
}

TEST_F(FileSafetyTest, SymlinkedWalOrShmIsRefused) {
  { MustOpen(path_, clock_); }
  for (const std::string suffix : {"-wal", "-shm"}) {
    const std::string aside = dir_.File("aside" + suffix);
    { std::ofstream(aside) << ""; }
    ASSERT_EQ(::symlink(aside.c_str(), (path_ + suffix).c_str()), 0);
    auto s = SqliteSnapshotStore::Open(path_, clock_);
    ASSERT_FALSE(s.ok()) << suffix;
    EXPECT_TRUE(Contains(s.status().message(), path_ + suffix)) << s.status().ToString();
    ASSERT_EQ(::unlink((path_ + suffix).c_str()), 0);
  }
}

TEST_F(FileSafetyTest, AnExistingFilesModeIsNeverChanged) {
  { MustOpen(path_, clock_); }
  ASSERT_EQ(::chmod(path_.c_str(), 0640), 0);
  { MustOpen(path_, clock_); }
  EXPECT_EQ(StateOf(path_).mode & 07777, 0640u);
  { MustOpen(path_, clock_, ReadOnly()); }
  EXPECT_EQ(StateOf(path_).mode & 07777, 0640u);
}

// Failure 5: read-only opens of a missing path fail "no database at PATH" and create nothing.
TEST_F(FileSafetyTest, ReadOnlyOpenOfAMissingPathIsNotFoundAndCreatesNothing) {
  auto s = SqliteSnapshotStore::Open(path_, clock_, ReadOnly());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(s.status().message(), "no database at " + path_)) << s.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_TRUE(std::filesystem::is_empty(std::filesystem::path(path_).parent_path()));
}

// What this proves: with no writer open (no -wal), every read-only call leaves the directory
// exactly as it was (no -wal/-shm created, the file's size and mtime unchanged), and writes
// are refused. That is what read-only media need; a read-only mount itself cannot be made in
// a test that may run as root (root ignores permission bits).
TEST_F(FileSafetyTest, ReadOnlyOpenChangesNoFileAndRefusesWrites) {
  {
    auto w = MustOpen(path_, clock_);
    ASSERT_TRUE(w->CommitSweep(MakeInfo(kT0), MakeOrg(), {MakeFinding("user-1", "div-3")}).ok());
    ASSERT_TRUE(w->CommitSweep(MakeInfo(kT0 + 900), MakeOrg(), {}).ok());
  }
  ASSERT_FALSE(std::filesystem::exists(path_ + "-wal"));
  std::filesystem::remove(path_ + ".lock");
  const FileState before = StateOf(path_);
  {
    auto r = MustOpen(path_, clock_, ReadOnly());
    auto v = r->Verify();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->ok);
    EXPECT_EQ(v->sweeps_checked, 2);
    EXPECT_EQ(r->QueryFindings({})->size(), 1u);
    EXPECT_TRUE(r->SnapshotAt(2).ok());
    EXPECT_EQ(r->ListSweeps(std::nullopt, std::nullopt)->size(), 2u);
    auto c = r->CommitSweep(MakeInfo(kT0 + 1800), MakeOrg(), {});
    ASSERT_FALSE(c.ok());
    EXPECT_TRUE(Contains(c.status().message(), "read-only")) << c.status().ToString();
    EXPECT_FALSE(r->Prune(std::chrono::hours(1), kT0 + 99999).ok());
  }
  EXPECT_EQ(StateOf(path_), before);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_.File(""))) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"divaudit.db"});
}

// A read-only open while a writer holds the file open (its -wal exists) sees the writer's
// committed sweeps.
TEST_F(FileSafetyTest, ReadOnlyOpenSeesAWritersCommittedSweeps) {
  auto w = MustOpen(path_, clock_);
  ASSERT_TRUE(w->CommitSweep(MakeInfo(kT0), MakeOrg(), {}).ok());
  auto r = MustOpen(path_, clock_, ReadOnly());
  ASSERT_TRUE(w->CommitSweep(MakeInfo(kT0 + 900), MakeOrg(), {}).ok());
  EXPECT_EQ(r->ListSweeps(std::nullopt, std::nullopt)->size(), 2u);
}

TEST_F(FileSafetyTest, ReadOnlyOpenOfAnOlderSchemaOrANonDatabaseIsAnError) {
  { std::ofstream(path_) << ""; }
  auto s = SqliteSnapshotStore::Open(path_, clock_, ReadOnly());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), path_)) << s.status().ToString();
  EXPECT_EQ(StateOf(path_).size, 0);
}

// Migrations are safe against concurrent first opens (two at once crashed one with "table
// sweeps already exists").
TEST_F(FileSafetyTest, ConcurrentFirstOpensBothSucceed) {
  for (int round = 0; round < 8; ++round) {
    const std::string path = dir_.File("race" + std::to_string(round) + ".db");
    std::atomic<int> ready{0};
    Status results[2];
    std::thread threads[2];
    for (int i = 0; i < 2; ++i) {
      threads[i] = std::thread([&, i] {
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        auto s = SqliteSnapshotStore::Open(path, clock_, NoLock());
        results[i] = s.ok() ? Status::Ok() : s.status();
      });
    }
    for (auto& t : threads) t.join();
    for (const Status& s : results)
      EXPECT_TRUE(s.ok()) << "round " << round << ": " << s.ToString();
  }
}

// Issue 18: the database records the org it audits and refuses another.
TEST_F(FileSafetyTest, ACommitForADifferentOrgIsRefusedNamingBoth) {
  auto store = MustOpen(path_, clock_);
  auto info = MakeInfo(kT0);
  info.org_id = "org-aaaa";
  ASSERT_TRUE(store->CommitSweep(info, MakeOrg(), {}).ok());
  auto unknown = MakeInfo(kT0 + 900);  // org not read (empty): records and checks nothing
  ASSERT_TRUE(store->CommitSweep(unknown, MakeOrg(), {}).ok());
  auto other = MakeInfo(kT0 + 1800);
  other.org_id = "org-bbbb";
  auto r = store->CommitSweep(other, MakeOrg(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(r.status().message(), "org-aaaa")) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "org-bbbb")) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), path_)) << r.status().ToString();
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sweeps"), 2);
  info.started_at_unix = kT0 + 2700;
  EXPECT_TRUE(store->CommitSweep(info, MakeOrg(), {}).ok());
}

// Issue 18: one writer at a time; the second says who holds the lock. Readers need no lock.
TEST_F(FileSafetyTest, ASecondWriterIsRefusedNamingTheHolder) {
  int to_child[2], to_parent[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(to_parent), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto s = SqliteSnapshotStore::Open(path_, clock_);
    const char c = s.ok() ? 'y' : 'n';
    (void)::write(to_parent[1], &c, 1);
    char done;
    (void)::read(to_child[0], &done, 1);
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto second = SqliteSnapshotStore::Open(path_, clock_);
  auto reader = SqliteSnapshotStore::Open(path_, clock_, ReadOnly());
  (void)::write(to_child[1], "x", 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(second.status().message(),
                       "database " + path_ + " is locked by pid " + std::to_string(pid)))
      << second.status().ToString();
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  // Released when the holder exits.
  EXPECT_TRUE(SqliteSnapshotStore::Open(path_, clock_).ok());
}

// Runs `body` in a child process as uid/gid 65534 (nobody) when this test runs as root, so that
// permission bits apply; returns what the child wrote, or "skip" when not root.
std::string AsNobody(const std::function<std::string()>& body) {
  if (::geteuid() != 0) return "skip";
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(out[0]);
    std::string text = (::setgid(65534) == 0 && ::setuid(65534) == 0) ? body() : "setuid failed";
    (void)::write(out[1], text.data(), text.size());
    ::_exit(0);
  }
  ::close(out[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  ::waitpid(pid, nullptr, 0);
  return text;
}

// A real read-only directory and file (permission bits enforced for an unprivileged user):
// read-only commands work and create nothing; a writer's error names the directory and the
// missing access.
TEST_F(FileSafetyTest, ReadOnlyMediaWorkForReadersAndWritersAreToldWhatAccessIsMissing) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
  const std::string media = dir_.File("media");
  std::filesystem::create_directory(media);
  const std::string copy = media + "/divaudit.db";
  {
    auto w = MustOpen(copy, clock_);
    ASSERT_TRUE(w->CommitSweep(MakeInfo(kT0), MakeOrg(), {MakeFinding("user-1", "div-3")}).ok());
  }
  std::filesystem::remove(copy + ".lock");
  ASSERT_EQ(::chmod(copy.c_str(), 0444), 0);
  ASSERT_EQ(::chmod(media.c_str(), 0555), 0);
  ASSERT_EQ(::chmod(dir_.File("").c_str(), 0755), 0);
  const FileState before = StateOf(copy);
  const std::string reader = AsNobody([&] {
    FakeClock clock;
    auto r = SqliteSnapshotStore::Open(copy, clock, ReadOnly());
    if (!r.ok()) return r.status().ToString();
    auto v = (*r)->Verify();
    if (!v.ok()) return v.status().ToString();
    auto f = (*r)->QueryFindings({});
    if (!f.ok()) return f.status().ToString();
    return std::string(v->ok && f->size() == 1 ? "ok" : "wrong content");
  });
  EXPECT_EQ(reader, "ok");
  EXPECT_EQ(StateOf(copy), before);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(media)) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"divaudit.db"});
  const std::string writer = AsNobody([&] {
    FakeClock clock;
    auto w = SqliteSnapshotStore::Open(copy, clock);
    return w.ok() ? std::string("opened") : w.status().ToString();
  });
  EXPECT_TRUE(Contains(writer, "permission denied")) << writer;
  EXPECT_TRUE(Contains(writer, "directory " + media + " is not writable by uid 65534")) << writer;
  const std::string creator = AsNobody([&] {
    FakeClock clock;
    auto w = SqliteSnapshotStore::Open(media + "/new.db", clock);
    return w.ok() ? std::string("opened") : w.status().ToString();
  });
  EXPECT_TRUE(Contains(creator, "cannot create the database in " + media + " as uid 65534"))
      << creator;
  ::chmod(media.c_str(), 0755);
}

TEST_F(FileSafetyTest, CommittedSweepHeadIsReportedByVerify) {
  auto store = MustOpen(path_, clock_);
  auto c = store->CommitSweep(MakeInfo(kT0), MakeOrg(), {});
  ASSERT_TRUE(c.ok());
  auto v = store->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->head_hash, c->content_hash);
}

}  // namespace
}  // namespace divaudit::storage
