#include <gtest/gtest.h>

#include <string>

#include "common/status.h"
#include "common/thread_annotations.h"

namespace divaudit {
namespace {

Result<int> Failing() { return NotFoundError("storage.db: no sweep 7"); }

// A misused Result::value() used to throw std::bad_variant_access (NDEBUG builds) with no hint
// of the error; it must abort naming the status, whatever the build type.
TEST(ResultDeathTest, ValueOfAnErrorAbortsWithTheStatusMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Result<int> r = Failing();
  EXPECT_DEATH({ [[maybe_unused]] int v = r.value(); },
               "Result::value\\(\\) called on an error: not found: storage.db: no sweep 7");
  EXPECT_DEATH(
      { [[maybe_unused]] std::string s = Result<std::string>(InternalError("boom")).value(); },
      "internal: boom");
  const Result<int> c = Failing();
  EXPECT_DEATH({ [[maybe_unused]] int v = *c; }, "no sweep 7");
}

TEST(ResultTest, ValueOfAnOkResult) {
  Result<std::string> r(std::string("x"));
  EXPECT_EQ(r.value(), "x");
  EXPECT_EQ(std::move(r).value(), "x");
}

class Counter {
 public:
  void Add() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    ++n_;
  }
  int n() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return n_;
  }

 private:
  Mutex mu_;
  int n_ GUARDED_BY(mu_) = 0;
};

TEST(MutexTest, LockGuardsAndReleases) {
  Counter c;
  c.Add();
  c.Add();  // the first Add released the mutex
  EXPECT_EQ(c.n(), 2);
}

}  // namespace
}  // namespace divaudit
