#include "daemon/demo_dir.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace divaudit::daemon {
namespace {

namespace fs = std::filesystem;

class DemoDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "demo-dir-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  static void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path root_;
};

// Issue: `divaudit demo --dir /etc/divaudit` overwrote a real installation's config and secret.
TEST_F(DemoDirTest, RefusesARealInstallationAndTouchesNothing) {
  const fs::path etc = root_ / "etc-divaudit";
  fs::create_directories(etc);
  Write(etc / "divaudit.toml", "[genesys]\nclient_id = \"real\"\n");
  Write(etc / "client-secret", "real-secret\n");
  const Status s = PrepareDemoDirectory(etc.string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("refusing a directory the demo did not create"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("divaudit.toml, client-secret"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("real-secret"), std::string::npos);
  EXPECT_EQ(Read(etc / "divaudit.toml"), "[genesys]\nclient_id = \"real\"\n");
  EXPECT_EQ(Read(etc / "client-secret"), "real-secret\n");
  EXPECT_FALSE(fs::exists(etc / kDemoMarkerFile));
}

TEST_F(DemoDirTest, RefusesAnyNonEmptyDirectory) {
  const fs::path lib = root_ / "var-lib";
  fs::create_directories(lib);
  Write(lib / "divaudit.db", "SQLite format 3");
  EXPECT_EQ(PrepareDemoDirectory(lib.string()).code(), StatusCode::kFailedPrecondition);
  const fs::path other = root_ / "other";
  fs::create_directories(other);
  Write(other / "notes.txt", "x");
  EXPECT_EQ(PrepareDemoDirectory(other.string()).code(), StatusCode::kFailedPrecondition);
}

TEST_F(DemoDirTest, RefusesAFileOrASymlink) {
  Write(root_ / "file", "x");
  EXPECT_EQ(PrepareDemoDirectory((root_ / "file").string()).code(), StatusCode::kInvalidArgument);
  fs::create_directories(root_ / "target");
  fs::create_directory_symlink(root_ / "target", root_ / "link");
  EXPECT_EQ(PrepareDemoDirectory((root_ / "link").string()).code(), StatusCode::kInvalidArgument);
}

TEST_F(DemoDirTest, CreatesAndMarksANewDirectoryAndAcceptsItAgain) {
  const fs::path d = root_ / "new" / "demo";
  ASSERT_TRUE(PrepareDemoDirectory(d.string()).ok());
  EXPECT_TRUE(fs::exists(d / kDemoMarkerFile));
  struct stat st {};
  ASSERT_EQ(::stat(d.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // A second demo run in its own directory (now holding its config) is fine.
  Write(d / "divaudit.toml", "demo");
  EXPECT_TRUE(PrepareDemoDirectory(d.string()).ok());
}

TEST_F(DemoDirTest, AcceptsAndMarksAnEmptyDirectory) {
  const fs::path d = root_ / "empty";
  fs::create_directories(d);
  ASSERT_TRUE(PrepareDemoDirectory(d.string()).ok());
  EXPECT_TRUE(fs::exists(d / kDemoMarkerFile));
}

}  // namespace
}  // namespace divaudit::daemon
