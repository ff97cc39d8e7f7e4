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
