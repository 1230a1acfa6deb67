#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/mutex.h"
#include "storage/storage.h"

namespace walnut {

// Several storages seen as one, as WAL-G's failover storages (internal/multistorage, its default
// "merge all storages" policies): the primary ("default") first, then the failover storages in the
// order of their names. Only the members found alive when the command started take part.
//
//   Stat, Get     the first member, in order, that has the object;
//   Put           the first member that already has the key (so a rewrite, such as backup-mark's
//                 metadata.json, stays beside the rest of its backup), else the first member: the
//                 primary while it is alive, else the first live failover storage;
//   List          every member's objects, merged by key: a key several members hold is reported
//                 once, from the first of them (HolderOf says which);
//   Delete        every member.
//
// A member that fails (a network error after its own retries, a local I/O or permission error)
// is reported to `on_failure` and then left out of the rest of the command: a read goes on to the
// next member, a Put that had not started its upload goes to the next member. A read that finds
// the object nowhere after a member failed in this command throws that member's error, never
// kNotFound or "absent" (the object may well be on the member that failed). Members left out
// before the command (found dead) are not members: absence among the others is absence. An upload that already failed part-way is not replayed:
// its error is the caller's (wal-push fails, and PostgreSQL runs it again, which then skips the
// member marked dead).
// Thread-safe when the members are.
class FailoverStorage : public Storage {
 public:
  struct Member {
    std::string name;  // "default" for the primary, else the failover storage's name
    std::shared_ptr<Storage> storage;
  };
  // Called once per member that fails, with its name and the error; may be called from any
  // thread.
  using FailureHandler = std::function<void(const std::string& name, const Error& error)>;

  // REQUIRES: at least one member.
  FailoverStorage(std::vector<Member> members, FailureHandler on_failure = nullptr);
  ~FailoverStorage() override;

  // The members in their order, all of them (also those that failed meanwhile).
  const std::vector<Member>& members() const { return members_; }

  std::string Describe() const override;
  std::string HolderOf(std::string_view key) override;
  std::unique_ptr<StorageReader> Get(std::string_view key, ByteRange range = {}) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Writer> Put(std::string_view key, const PutOptions& options = {}) override;
  void List(std::string_view prefix, const ListOptions& options,
            const std::function<void(const ObjectInfo&)>& fn) override;
  void Delete(std::span<const std::string> keys) override;
  void ListTemporaryFiles(std::string_view prefix, const ListOptions& options,
                          const std::function<void(const ObjectInfo&)>& fn) override;
  bool Supports(StorageFeature feature) const override;
  uint64_t PutBufferUnit() const override;
  uint64_t PutBufferBytes(uint64_t size) const override;

  // Whether an error says the storage that threw it is unusable (rather than the object missing
  // or damaged, or the caller wrong): network, local I/O, permission and protocol errors, and any
  // retryable one.
  static bool IsMemberFailure(const Error& error);

 private:
  class FailingOverWriter;

  // The indexes of the members that have not failed, in order.
  std::vector<size_t> Live() const;
  void MarkFailed(size_t index, const Error& error);
  // Throws the first member failure of this command, if any: after one, no absence is certain.
  void ThrowIfAnyFailed() const;

  std::vector<Member> members_;
  FailureHandler on_failure_;
  std::unique_ptr<std::atomic<bool>[]> failed_;
  mutable Mutex mu_;
  std::optional<Error> first_failure_ GUARDED_BY(mu_);
};

}  // namespace walnut
