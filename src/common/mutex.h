#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

// Clang's thread-safety analysis (clang.llvm.org/docs/ThreadSafetyAnalysis.html): members marked
// GUARDED_BY(mu_) may be touched only while mu_ is held, functions marked REQUIRES(mu_) only be
// called with it held. tools/check-thread-safety.py checks every translation unit with clang's
// -Wthread-safety; under g++ the macros expand to nothing. libstdc++'s std::mutex carries no
// annotations, hence the small Mutex, MutexLock and CondVar below (as LevelDB's port::Mutex).
#if defined(__clang__)
#define WALNUT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define WALNUT_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) WALNUT_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY WALNUT_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) WALNUT_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) WALNUT_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) WALNUT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) WALNUT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) WALNUT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) WALNUT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) WALNUT_THREAD_ANNOTATION(assert_capability(x))
// For the rare function the analysis cannot follow; say why next to it.
#define NO_THREAD_SAFETY_ANALYSIS WALNUT_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace walnut {

// A non-recursive mutex that the analysis knows. Thread-safe.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` from construction to the end of the scope, as std::lock_guard. Not thread-safe.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() { mu_.Unlock(); }

  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// std::condition_variable for a Mutex. Every wait needs `mu` held and returns with it held again
// (it is released while waiting, which the analysis need not see). Spurious wake-ups happen: wait
// in a loop on the condition, written out (`while (!ready_) cv_.Wait(mu_);`) rather than as a
// predicate lambda, since the analysis checks a lambda as a function of its own that holds no
// lock. Thread-safe.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex& mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // mu stays held: the caller's MutexLock unlocks it
  }

  // Returns false when `deadline` passed before a notification.
  template <typename Clock, typename Duration>
  bool WaitUntil(Mutex& mu, const std::chrono::time_point<Clock, Duration>& deadline) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    bool notified = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return notified;
  }

  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace walnut
