// Cross-check of an output directory's articles with the state's dedup
// index (doc/audit.md §cross-check): every version the state marks emitted
// has exactly one record in OUT/articles with the same content hash, and
// every record there stands for such a version. This catches what checking
// the records alone cannot: a deleted or truncated chunk (missing_record),
// a record added by hand (unknown_record), a record edited consistently,
// text and content_hash together (hash_differs_from_state). It also tells
// what the record alone cannot: of a record whose content_hash is not the
// SHA-256 of its text (hash_mismatch), which of the two was edited, since
// the state holds the hash the record was emitted with. That attribution
// (text_edited, content_hash_edited, or hash_differs_from_state when
// neither has the state's hash) replaces the line's hash_mismatch, so each
// fault is reported once under its own code.
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

// REQUIRES: `audit` comes from AuditNdjsonFiles over `files` (records
// sorted, duplicates marked). The hash_mismatch problems of audit->problems
// the state attributes are rewritten in place (same line, new code and
// detail); the cross-check's own problems are appended to *problems in key
// order, missing_record naming `articles_dir` as its source. Non-OK only
// when the state cannot be read.
Status CrossCheckState(StateDb* state, NdjsonAudit* audit,
                       const std::vector<NdjsonInput>& files,
                       const std::string& articles_dir,
                       std::vector<Problem>* problems, StateCheckTally* tally);

}  // namespace ingest

#endif  // INGEST_STAGES_AUDIT_STATE_CHECK_H_
