#include "stages/audit/state_check.h"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "stages/dedup/dedup_entry.h"

namespace ingest {

namespace {

std::string DescribeVersion(const DedupVersion& version) {
  return fmt::format("content_hash {}, first seen in {}, run {}", ToHex(version.hash),
                     version.source, version.run_id);
}

std::string RevisionName(size_t revision) {
  return revision == 1 ? "the key" : fmt::format("revision {}", revision);
}

// Which of text and content_hash of a hash_mismatch record still has the
// hash the state recorded when it was emitted.
std::pair<ProblemCode, std::string> AttributeMismatch(const KeyedRecord& record,
                                                      const DedupVersion& version) {
  std::string content_hash = ToHex(record.content_hash);
  std::string text_hash = ToHex(record.text_hash);
  if (record.text_hash == version.hash) {
    return {ProblemCode::kContentHashEdited,
            fmt::format("content_hash {} was edited: the SHA-256 of text is {}, the "
                        "state has {}",
                        content_hash, text_hash, DescribeVersion(version))};
  }
  if (record.content_hash == version.hash) {
    return {ProblemCode::kTextEdited,
            fmt::format("text was edited: its SHA-256 is {}, content_hash is the state's "
                        "{}",
                        text_hash, DescribeVersion(version))};
  }
  return {ProblemCode::kHashDiffersFromState,
          fmt::format("neither content_hash {} nor the SHA-256 of text {} is the hash "
                      "the state has: {}",
                      content_hash, text_hash, DescribeVersion(version))};
}

// Rewrites the hash_mismatch problem of each attributed line (file, line).
void ReplaceAttributedMismatches(
    const std::vector<NdjsonInput>& files,
    const std::map<std::pair<uint32_t, uint64_t>, std::pair<ProblemCode, std::string>>&
        attributed,
    std::vector<Problem>* problems) {
  if (attributed.empty()) return;
  // Problems name their file by source; sources are distinct per file.
  std::map<std::string_view, uint32_t> file_of;
  for (size_t i = 0; i < files.size(); ++i) {
    file_of.emplace(files[i].source, static_cast<uint32_t>(i));
  }
  for (Problem& problem : *problems) {
    if (problem.code != ProblemCode::kHashMismatch) continue;
    auto file = file_of.find(problem.source);
    if (file == file_of.end()) continue;
    auto found = attributed.find({file->second, problem.line});
    if (found == attributed.end()) continue;
    problem.code = found->second.first;
    problem.detail = found->second.second;
  }
}

}  // namespace

Status CrossCheckState(StateDb* state, NdjsonAudit* audit,
                       const std::vector<NdjsonInput>& files,
                       const std::string& articles_dir,
                       std::vector<Problem>* problems, StateCheckTally* tally) {
  const std::vector<KeyedRecord>& records = audit->records;
  // hash_mismatch lines the state attributes, by (file, line).
  std::map<std::pair<uint32_t, uint64_t>, std::pair<ProblemCode, std::string>> attributed;
  auto record_problem = [&](ProblemCode code, const KeyedRecord& record,
                            std::string detail) {
    Problem problem;
    problem.code = code;
    problem.source = files[record.file].source;
    problem.line = record.line;
    problem.id = record.id;
    problem.detail = std::move(detail);
    problems->push_back(std::move(problem));
  };
  size_t next = 0;
  // Records of keys the state does not have, up to (not including) `id`.
  auto unknown_keys_before = [&](std::string_view id, bool to_the_end) {
    for (; next < records.size() && (to_the_end || records[next].id < id); ++next) {
      if (records[next].duplicate) continue;  // reported as duplicate_key
      record_problem(ProblemCode::kUnknownRecord, records[next],
                     "the state does not know this key");
    }
  };

  std::unique_ptr<StateCursor> cursor = state->NewCursor();
  std::vector<bool> found;
  for (cursor->Seek(kDedupKeyPrefix);
       cursor->Valid() && cursor->key().substr(0, kDedupKeyPrefix.size()) == kDedupKeyPrefix;
       cursor->Next()) {
    std::string id(cursor->key().substr(kDedupKeyPrefix.size()));
    ++tally->keys;
    unknown_keys_before(id, /*to_the_end=*/false);
    size_t begin = next;
    while (next < records.size() && records[next].id == id) ++next;

    Result<DedupEntry> decoded = DedupEntry::Decode(cursor->value());
    if (!decoded.ok()) {
      Problem problem;
      problem.code = ProblemCode::kBadStateEntry;
      problem.source = state->directory();
      problem.id = id;
      problem.detail = decoded.status().message() + "; its records cannot be checked";
      problems->push_back(std::move(problem));
      continue;
    }
    const std::vector<DedupVersion>& versions = decoded->versions;
    found.assign(versions.size(), false);
    for (size_t i = begin; i < next; ++i) {
      const KeyedRecord& record = records[i];
      if (record.duplicate) continue;
      size_t index = record.revision - 1;
      if (index >= versions.size()) {
        record_problem(ProblemCode::kUnknownRecord, record,
                       fmt::format("the state knows {} version(s) of this key, so "
                                   "no revision {}",
                                   versions.size(), record.revision));
        continue;
      }
      const DedupVersion& version = versions[index];
      if (!version.emitted) {
        record_problem(ProblemCode::kUnknownRecord, record,
                       fmt::format("the state recorded {} ({}) without emitting it",
                                   RevisionName(record.revision),
                                   DescribeVersion(version)));
        continue;
      }
      found[index] = true;
      // A record whose own hash is wrong was reported as hash_mismatch; the
      // state's hash says which half of it changed.
      if (record.hash_mismatched) {
        attributed.emplace(std::pair{record.file, record.line},
                           AttributeMismatch(record, version));
        continue;
      }
      if (record.hash_verified && record.content_hash != version.hash) {
        record_problem(ProblemCode::kHashDiffersFromState, record,
                       fmt::format("content_hash {}, the state has {}",
                                   ToHex(record.content_hash), DescribeVersion(version)));
        continue;
      }
      ++tally->matched;
    }
    for (size_t index = 0; index < versions.size(); ++index) {
      if (!versions[index].emitted) continue;
      ++tally->emitted;
      if (found[index]) continue;
      Problem problem;
      problem.code = ProblemCode::kMissingRecord;
      problem.source = articles_dir;
      problem.id = id;
      problem.detail =
          fmt::format("the state marks {} emitted ({}) but no record of it is there",
                      RevisionName(index + 1), DescribeVersion(versions[index]));
      problems->push_back(std::move(problem));
    }
  }
  INGEST_RETURN_IF_ERROR(cursor->status());
  unknown_keys_before("", /*to_the_end=*/true);
  ReplaceAttributedMismatches(files, attributed, &audit->problems);
  return Status::OK();
}

}  // namespace ingest
