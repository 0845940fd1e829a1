#pragma once

#include <atomic>
#include <memory>

namespace divaudit {

// A flag shared between the code that asks to stop (signal handling, scheduler) and long-running
// work (a sweep) that checks it between steps. Copies share one flag. Thread-safe.
class CancellationToken {
 public:
  CancellationToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void Cancel() { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace divaudit
