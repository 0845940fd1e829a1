#include "metrics/process_collector.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace divaudit::metrics {
namespace {

std::map<std::string, double> Values(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, double> out;
  for (const auto& f : families) {
    EXPECT_EQ(f.metric.size(), 1u) << f.name;
    out[f.name] = f.type == prometheus::MetricType::Counter ? f.metric.front().counter.value
                                                            : f.metric.front().gauge.value;
  }
  return out;
}

class ProcessCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/divaudit-proc-XXXXXX";
    root_ = ::mkdtemp(templ.data());
    std::filesystem::create_directories(root_ + "/42/fd");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ + "/" + rel) << text;
  }
  std::string root_;
};

TEST_F(ProcessCollectorTest, ReadsTheProcFilesLikeTheGoClient) {
  // A command name with spaces and ')' must not shift the fields.
  // Fields 14/15 utime/stime = 250/150 ticks, 22 starttime = 1000 ticks, 23 vsize, 24 rss pages.
  Write("42/stat",
        "42 (div audit) x) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 3 0 1000 "
        "123456789 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
  Write("stat", "cpu  1 2 3\nbtime 1790000000\nprocesses 5\n");
  Write("42/limits",
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max cpu time              unlimited            unlimited            seconds   \n"
        "Max open files            1024                 524288               files     \n");
  for (const char* fd : {"0", "1", "2", "7"}) Write(std::string("42/fd/") + fd, "");

  ProcessCollector collector(root_, "42", /*clock_ticks_per_second=*/100, /*page_size=*/4096);
  const auto values = Values(collector.Collect());
  EXPECT_DOUBLE_EQ(values.at("process_cpu_seconds_total"), 4.0);
  EXPECT_DOUBLE_EQ(values.at("process_start_time_seconds"), 1790000010.0);
  EXPECT_DOUBLE_EQ(values.at("process_virtual_memory_bytes"), 123456789.0);
  EXPECT_DOUBLE_EQ(values.at("process_resident_memory_bytes"), 300.0 * 4096);
  EXPECT_DOUBLE_EQ(values.at("process_open_fds"), 4);
  EXPECT_DOUBLE_EQ(values.at("process_max_fds"), 1024);
  const std::string text = prometheus::TextSerializer().Serialize(collector.Collect());
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge"), std::string::npos);
}

TEST_F(ProcessCollectorTest, MissingOrMalformedFilesLeaveTheirMetricsOut) {
  Write("42/stat", "garbage without parentheses\n");
  ProcessCollector collector(root_, "42", 100, 4096);
  const auto values = Values(collector.Collect());
  EXPECT_EQ(values.count("process_cpu_seconds_total"), 0u);
  EXPECT_EQ(values.count("process_max_fds"), 0u);
  EXPECT_EQ(values.at("process_open_fds"), 0);  // the fd directory exists, empty
  ProcessCollector nothing(root_ + "/absent");
  EXPECT_TRUE(nothing.Collect().empty());
}

TEST(ProcessCollectorRealTest, ThisProcessLooksPlausible) {
  const auto values = Values(ProcessCollector().Collect());
  ASSERT_EQ(values.size(), 6u);
  EXPECT_GT(values.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(values.at("process_virtual_memory_bytes"), values.at("process_resident_memory_bytes"));
  EXPECT_GE(values.at("process_open_fds"), 3);
  EXPECT_GE(values.at("process_max_fds"), values.at("process_open_fds"));
  const double now = static_cast<double>(::time(nullptr));
  EXPECT_LE(values.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(values.at("process_start_time_seconds"), now - 3600);
  EXPECT_GE(values.at("process_cpu_seconds_total"), 0);
}

}  // namespace
}  // namespace divaudit::metrics
