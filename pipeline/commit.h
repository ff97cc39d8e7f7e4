// The commit protocol's view of durable state: a transaction of puts and
// deletes that becomes durable all at once (doc/commit_protocol.md).
//
// The pipeline knows only these interfaces; the state store (RocksDB)
// implements them. A transaction is used by one thread at a time.
#ifndef INGEST_PIPELINE_COMMIT_H_
#define INGEST_PIPELINE_COMMIT_H_

#include <memory>
#include <string_view>

#include "pipeline/status.h"

namespace ingest {

class StateTransaction {
 public:
  virtual ~StateTransaction() = default;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
};

// What one serial stage contributes to a commit point, taken out of the
// stage's worker state (Stage::DetachCommit) so the serial end can go on
// with the next chunk while this one is made durable on the commit thread.
// The runner calls Prepare(), commits the transaction, then Finish(), all on
// one thread; at most one commit is in flight, and the next DetachCommit()
// happens after the previous Finish() returned.
class PendingCommit {
 public:
  virtual ~PendingCommit() = default;
  // Makes the stage's own output durable (fsync) and adds its entries.
  virtual Status Prepare(StateTransaction* transaction) = 0;
  // After the transaction is durable: publishes the output (renames).
  virtual Status Finish() = 0;
};

class DurableState {
 public:
  virtual ~DurableState() = default;
  virtual std::unique_ptr<StateTransaction> NewTransaction() = 0;
  // Applies every change of `transaction` atomically and durably (synced
  // to disk) before returning OK.
  virtual Status Commit(StateTransaction& transaction) = 0;
};

}  // namespace ingest

#endif  // INGEST_PIPELINE_COMMIT_H_
