// Problem codes: every code has its own name (doc/audit.md's table), the
// count covers the whole enum, and the summary fields name codes in enum
// order.
#include "stages/audit/problem.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ingest {
namespace {

TEST(ProblemCodeTest, EveryCodeHasItsOwnName) {
  std::set<std::string> names;
  for (int i = 0; i < kProblemCodeCount; ++i) {
    std::string name(ProblemCodeName(static_cast<ProblemCode>(i)));
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
  }
  EXPECT_EQ(ProblemCodeName(static_cast<ProblemCode>(kProblemCodeCount)), "");
  // The attributions of a hash_mismatch by the cross-check.
  EXPECT_EQ(ProblemCodeName(ProblemCode::kTextEdited), "text_edited");
  EXPECT_EQ(ProblemCodeName(ProblemCode::kContentHashEdited), "content_hash_edited");
  EXPECT_EQ(ProblemCodeName(ProblemCode::kHashDiffersFromState), "hash_differs_from_state");
}

TEST(ProblemCodeTest, CountsNameTheCodesFoundInEnumOrder) {
  ProblemCounts counts;
  counts.Add(ProblemCode::kContentHashEdited);
  counts.Add(ProblemCode::kHashMismatch);
  counts.Add(ProblemCode::kContentHashEdited);
  EXPECT_EQ(counts.total(), 3u);
  EXPECT_EQ(counts.ToLogFields(), " hash_mismatch=1 content_hash_edited=2");
}

}  // namespace
}  // namespace ingest
