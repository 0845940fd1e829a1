#include "audit/evidence.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/time_util.h"

namespace divaudit::audit {

std::optional<ConversationEvidence> ClassifyConversation(const Conversation& conversation,
                                                         const TenantMap& tenants) {
  std::vector<std::string> names;
  for (const std::string& division : conversation.division_ids) {
    if (std::optional<std::string> tenant = tenants.TenantOf(division)) {
      names.push_back(std::move(*tenant));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.size() < 2) return std::nullopt;
  return ConversationEvidence{conversation, std::move(names)};
}

std::vector<std::pair<std::string, std::string>> TenantPairs(const ConversationEvidence& evidence) {
  std::vector<std::pair<std::string, std::string>> pairs;
  const std::vector<std::string>& t = evidence.tenants;  // sorted, unique
  for (size_t i = 0; i < t.size(); ++i) {
    for (size_t j = i + 1; j < t.size(); ++j) pairs.emplace_back(t[i], t[j]);
  }
  return pairs;
}

std::string_view EvidenceStatusName(EvidenceStatus status) {
  switch (status) {
    case EvidenceStatus::kDisabled:
      return "disabled";
    case EvidenceStatus::kUnavailable:
      return "unavailable";
    case EvidenceStatus::kNotRead:
      return "not_read";
    case EvidenceStatus::kPartial:
      return "partial";
    case EvidenceStatus::kCollected:
      return "collected";
  }
  return "disabled";
}

EvidenceStatus ClassifyEvidence(bool available, std::optional<int64_t> read_until_ms,
                                int64_t from_ms, int64_t end_ms) {
  if (!available) return EvidenceStatus::kUnavailable;
  if (!read_until_ms || *read_until_ms <= from_ms) return EvidenceStatus::kNotRead;
  if (*read_until_ms < end_ms) return EvidenceStatus::kPartial;
  return EvidenceStatus::kCollected;
}

std::string FormatIsoMillis(SystemTime t) {
  using std::chrono::milliseconds;
  const auto ms = std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
  const int64_t seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const int64_t rest = ms - seconds * 1000;
  std::string whole = FormatIso8601(FromUnixSeconds(seconds));  // "...:SSZ"
  const int r = static_cast<int>(rest);                         // 0..999
  whole.pop_back();
  whole += '.';
  whole += static_cast<char>('0' + r / 100);
  whole += static_cast<char>('0' + r / 10 % 10);
  whole += static_cast<char>('0' + r % 10);
  return whole + "Z";
}

Result<SystemTime> ParseIsoMillis(std::string_view text) {
  DIVAUDIT_ASSIGN_OR_RETURN(SystemTime whole, ParseIso8601(text));
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return whole;
  int64_t ms = 0;
  int digits = 0;
  for (size_t i = dot + 1; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (digits < 3) {
      ms = ms * 10 + (text[i] - '0');
      ++digits;
    }
  }
  while (digits++ < 3) ms *= 10;
  return whole + std::chrono::milliseconds(ms);
}

}  // namespace divaudit::audit
