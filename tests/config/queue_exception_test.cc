// [[exception]] queue_id (v2): narrows a cross_tenant_queue exception to one queue.
#include <gtest/gtest.h>

#include "config/loader.h"

namespace divaudit::config {
namespace {

std::string WithException(const std::string& rule, const std::string& extra) {
  return "[genesys]\nclient_id = \"c\"\n[[exception]]\nrule = \"" + rule +
         "\"\nsubject_id = \"u1\"\n" + extra +
         "reason = \"overflow help\"\nowner = \"o\"\nexpires = 2027-01-31\n";
}

TEST(QueueExceptionTest, QueueIdIsReadForCrossTenantQueue) {
  auto config =
      ParseConfig(WithException("cross_tenant_queue", "queue_id = \"q7\"\n"), "divaudit.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->exceptions.size(), 1u);
  EXPECT_EQ(config->exceptions[0].rule, audit::Rule::kCrossTenantQueue);
  EXPECT_EQ(config->exceptions[0].queue_id, std::optional<std::string>("q7"));
  auto without = ParseConfig(WithException("cross_tenant_queue", ""), "divaudit.toml");
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  EXPECT_FALSE(without->exceptions[0].queue_id.has_value());
}

TEST(QueueExceptionTest, QueueIdOnAnotherRuleOrEmptyIsAnError) {
  auto bad = ParseConfig(WithException("cross_tenant", "queue_id = \"q7\"\n"), "divaudit.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "divaudit.toml:6:1: [[exception]] #1 queue_id: only for rule cross_tenant_queue (the "
            "queue to accept)");
  auto empty =
      ParseConfig(WithException("cross_tenant_queue", "queue_id = \"\"\n"), "divaudit.toml");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("queue_id"), std::string::npos);
}

}  // namespace
}  // namespace divaudit::config
