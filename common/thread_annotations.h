#pragma once

// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html) and a
// mutex that carries them. With clang and -Wthread-safety the compiler checks that every
// GUARDED_BY member is touched only with its mutex held; with gcc the macros expand to nothing.
// scripts/thread-safety builds the annotated code with clang -Wthread-safety -Werror in CI.

#include <mutex>

#if defined(__clang__)
#define DIVAUDIT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define DIVAUDIT_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) DIVAUDIT_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY DIVAUDIT_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) DIVAUDIT_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) DIVAUDIT_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) DIVAUDIT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) DIVAUDIT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) DIVAUDIT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) DIVAUDIT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS DIVAUDIT_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace divaudit {

// std::mutex with the capability annotation (libstdc++'s is not annotated).
class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope (std::lock_guard with annotations).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace divaudit
