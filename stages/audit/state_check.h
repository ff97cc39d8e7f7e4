// Cross-check of an output directory's articles with the state's dedup
// index (doc/audit.md §cross-check): every version the state marks emitted
// has exactly one record in OUT/articles with the same content hash, and
// every record there stands for such a version. This catches what checking
// the records alone cannot: a deleted or truncated chunk (missing_record),
// a record added by hand (unknown_record), a record edited consistently,
// text and content_hash together (hash_differs_from_state).
//
// Reads the state through one cursor (a merge join of the sorted index
// with the sorted records); writes nothing. Not thread-safe: one call at a
// time per StateDb cursor.
#ifndef INGEST_STAGES_AUDIT_STATE_CHECK_H_
#define INGEST_STAGES_AUDIT_STATE_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/status.h"
#include "stages/audit/ndjson_audit.h"
#include "stages/audit/problem.h"
#include "stages/dedup/state_db.h"

namespace ingest {

struct StateCheckTally {
  uint64_t keys = 0;      // a/ entries
  uint64_t emitted = 0;   // versions marked emitted
  uint64_t matched = 0;   // of those, found with their record
};

// REQUIRES: `records` come from AuditNdjsonFiles over `files` (sorted, with
// duplicates marked). Problems are appended in key order; missing_record
// names `articles_dir` as its source. Non-OK only when the state cannot be
// read.
Status CrossCheckState(StateDb* state, const std::vector<KeyedRecord>& records,
                       const std::vector<NdjsonInput>& files,
                       const std::string& articles_dir,
                       std::vector<Problem>* problems, StateCheckTally* tally);

}  // namespace ingest

#endif  // INGEST_STAGES_AUDIT_STATE_CHECK_H_
