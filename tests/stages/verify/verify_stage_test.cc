// Tests of VerifyStage (FORMAT.md §1.2: the stored content_hash against the
// SHA-256 of the text, case-insensitively) and of Sha256 / ToHex / FromHex.

#include "stages/verify/verify_stage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/article.h"
#include "stages/parse/parse_stage.h"
#include "stages/verify/sha256.h"
#include "tests/testing/article_builder.h"
#include "tests/testing/testing.h"

namespace ingest {
namespace {

using ::ingest::test::ArticleFileBuilder;
using ::ingest::test::Sha256Hex;

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return static_cast<char>(std::toupper(c));
  });
  return text;
}

Article WithText(std::string text, std::string stored_hash) {
  Article article;
  article.source = "dump/article.txt";
  article.id = "119_0003042504";
  article.text = std::move(text);
  article.stored_hash = std::move(stored_hash);
  return article;
}

// Runs the verify stage with a worker state of its own.
Disposition Verify(Article& article) {
  VerifyStage stage;
  std::unique_ptr<WorkerState> state = stage.NewWorkerState();
  Result<Disposition> disposition = stage.Process(article, state.get());
  EXPECT_TRUE(disposition.ok()) << disposition.status().ToString();
  return disposition.ok() ? disposition.value() : Disposition::kRejected;
}

TEST(VerifyStageTest, PassesMatchingHashAndSetsContentHash) {
  const std::string text = "'소버린 AI' 프로젝트 & <본문>";
  Article article = WithText(text, Sha256Hex(text));
  EXPECT_EQ(Verify(article), Disposition::kContinue);
  EXPECT_EQ(article.content_hash, Sha256Hex(text));
  EXPECT_EQ(article.reason, QuarantineReason::kNone);
  EXPECT_EQ(article.outcome, Outcome::kPending);
}

TEST(VerifyStageTest, PassesUppercaseStoredHashAndWritesItLowercase) {
  const std::string text = "본문";
  const std::string lower = Sha256Hex(text);
  ASSERT_NE(Upper(lower), lower);
  Article article = WithText(text, Upper(lower));
  EXPECT_EQ(Verify(article), Disposition::kContinue);
  EXPECT_EQ(article.content_hash, lower);
  EXPECT_EQ(article.reason, QuarantineReason::kNone);

  std::string mixed = lower;
  for (size_t i = 0; i < mixed.size(); i += 2) {
    mixed[i] =
        static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[i])));
  }
  Article mixed_case = WithText(text, mixed);
  EXPECT_EQ(Verify(mixed_case), Disposition::kContinue);
  EXPECT_EQ(mixed_case.content_hash, lower);
}

TEST(VerifyStageTest, RejectsMismatchedHashAndNamesBothDigests) {
  const std::string stored = Sha256Hex("the text the crawler saw");
  const std::string computed = Sha256Hex("the text in the file");
  Article article = WithText("the text in the file", stored);
  EXPECT_EQ(Verify(article), Disposition::kRejected);
  EXPECT_EQ(article.outcome, Outcome::kQuarantined);
  EXPECT_EQ(article.reason, QuarantineReason::kHashMismatch);
  EXPECT_EQ(article.content_hash, computed);
  EXPECT_NE(article.detail.find(stored), std::string::npos) << article.detail;
  EXPECT_NE(article.detail.find(computed), std::string::npos) << article.detail;
}

TEST(VerifyStageTest, RejectsHashThatDiffersInOneDigit) {
  const std::string text = "x";
  std::string stored = Sha256Hex(text);
  stored.back() = stored.back() == '0' ? '1' : '0';
  Article article = WithText(text, stored);
  EXPECT_EQ(Verify(article), Disposition::kRejected);
  EXPECT_EQ(article.reason, QuarantineReason::kHashMismatch);
}

TEST(VerifyStageTest, VerifiesParsedBuiltArticles) {
  ParseStage parse{ParseOptions()};
  VerifyStage verify;
  std::unique_ptr<WorkerState> parse_state = parse.NewWorkerState();
  std::unique_ptr<WorkerState> verify_state = verify.NewWorkerState();
  ArticleFileBuilder builder;
  builder.Body(
      "  &lt;p&gt; 첫 문단 &amp; 둘째\u3000\n\n---\n\n셋째 &#x27;끝&#x27;  ");

  // One worker state serves many articles: the digest context is reused.
  for (bool crlf : {false, true}) {
    for (const std::string& stored :
         {builder.ContentHash(), Upper(builder.ContentHash())}) {
      Article article =
          builder.Crlf(crlf).Set("content_hash", stored).ToArticle();
      ASSERT_EQ(parse.Process(article, parse_state.get()).value(),
                Disposition::kContinue)
          << article.detail;
      ASSERT_EQ(verify.Process(article, verify_state.get()).value(),
                Disposition::kContinue)
          << article.detail;
      EXPECT_EQ(article.content_hash, builder.ContentHash());
    }
  }
  Article wrong = builder.Body("다른 본문").ToArticle();
  ASSERT_EQ(parse.Process(wrong, parse_state.get()).value(),
            Disposition::kContinue);
  EXPECT_EQ(verify.Process(wrong, verify_state.get()).value(),
            Disposition::kRejected);
  EXPECT_EQ(wrong.reason, QuarantineReason::kHashMismatch);
}

TEST(VerifyStageTest, IsAParallelStageNamedVerify) {
  VerifyStage stage;
  EXPECT_EQ(stage.name(), "verify");
  EXPECT_EQ(stage.concurrency(), Concurrency::kParallel);
  EXPECT_NE(stage.NewWorkerState(), nullptr);
}

TEST(Sha256Test, MatchesFipsTestVectors) {
  // FIPS 180-2 appendix B test vectors for SHA-256.
  Sha256 sha256;
  Result<Sha256::Digest> abc = sha256.Hash("abc");
  ASSERT_OK(abc.status());
  EXPECT_EQ(ToHex(*abc),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Result<Sha256::Digest> empty = sha256.Hash("");
  ASSERT_OK(empty.status());
  EXPECT_EQ(ToHex(*empty),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Result<Sha256::Digest> again = sha256.Hash("abc");
  ASSERT_OK(again.status());
  EXPECT_EQ(*again, *abc);
}

// Many inputs hashed together (with intel-ipsec-mb 16 side by side on
// AVX-512, two with SHA-NI; one by one elsewhere) give each input's own
// digest: every length 0..300 (the block and padding boundaries at
// 55/56/64), some of several KB, more inputs than lanes, across several
// Finish() calls.
TEST(Sha256Test, BatchGivesEachInputItsOwnDigest) {
  std::vector<std::string> inputs;
  for (size_t length = 0; length <= 300; ++length) {
    std::string input(length, '\0');
    for (size_t i = 0; i < length; ++i) input[i] = static_cast<char>((i * 131 + length) & 0xFF);
    inputs.push_back(std::move(input));
  }
  for (size_t length : {1000u, 4095u, 4096u, 6789u, 65537u}) {
    inputs.push_back(std::string(length, static_cast<char>('a' + length % 26)));
  }
  Sha256 one;
  Sha256Batch batch;
  for (size_t round = 0; round < 3; ++round) {
    std::vector<Sha256::Digest> digests(inputs.size());
    for (size_t i = round; i < inputs.size(); i += 3) batch.Add(inputs[i], &digests[i]);
    ASSERT_OK(batch.Finish());
    for (size_t i = round; i < inputs.size(); i += 3) {
      Result<Sha256::Digest> expected = one.Hash(inputs[i]);
      ASSERT_OK(expected.status());
      EXPECT_EQ(ToHex(digests[i]), ToHex(*expected)) << "input " << i;
    }
  }
}

// The CPU's flags as /proc/cpuinfo lists them (the first processor's).
std::set<std::string> CpuFlags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string flag; words >> flag;) flags.insert(flag);
    return flags;
  }
  return {};
}

// The multi-buffer path is taken exactly where it is faster than OpenSSL:
// with AVX-512 (the subset intel-ipsec-mb's AVX-512 manager needs) its
// AVX-512 manager, else with SHA-NI its SSE manager (the AVX2 one runs
// without SHA-NI on CPUs lacking GFNI), when the library is built in.
TEST(Sha256Test, BatchUsesMultiBufferWithAvx512OrShaNi) {
  Sha256Batch batch;
#if defined(INGEST_HAVE_IPSEC_MB) && defined(__x86_64__)
  const std::set<std::string> flags = CpuFlags();
  if (flags.empty()) GTEST_SKIP() << "no flags in /proc/cpuinfo";
  bool avx512 = true;
  for (const char* flag :
       {"avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"}) {
    avx512 = avx512 && flags.count(flag) > 0;
  }
  const bool sha_ni = flags.count("sha_ni") > 0;
  EXPECT_EQ(batch.multi_buffer(), avx512 || sha_ni)
      << "avx512=" << avx512 << " sha_ni=" << sha_ni;
  EXPECT_EQ(batch.implementation(), avx512   ? "intel-ipsec-mb avx512"
                                    : sha_ni ? "intel-ipsec-mb sse (sha-ni)"
                                             : "openssl")
      << "avx512=" << avx512 << " sha_ni=" << sha_ni;
#else
  EXPECT_FALSE(batch.multi_buffer());
  EXPECT_EQ(batch.implementation(), "openssl");
#endif
}

// The batch path of the stage decides exactly as Process() does.
TEST(VerifyStageTest, ABatchIsVerifiedLikeItsArticlesOneByOne) {
  VerifyStage stage;
  std::unique_ptr<WorkerState> state = stage.NewWorkerState();
  Batch batch;
  std::vector<Disposition> dispositions;
  for (int i = 0; i < 100; ++i) {
    std::string text = "본문 " + std::to_string(i) + std::string(static_cast<size_t>(i * 37), 'x');
    std::string stored = i % 7 == 3 ? Sha256Hex(text + "!") : Sha256Hex(text);
    if (i % 5 == 1) stored = Upper(stored);
    batch.articles.push_back(WithText(std::move(text), std::move(stored)));
    dispositions.push_back(i % 11 == 4 ? Disposition::kRejected : Disposition::kContinue);
  }
  std::vector<Article> alone = batch.articles;
  ASSERT_TRUE(stage.WholeBatches());
  ASSERT_OK(stage.ProcessBatch(batch, dispositions, state.get()));
  for (size_t i = 0; i < alone.size(); ++i) {
    if (i % 11 == 4) {
      EXPECT_EQ(dispositions[i], Disposition::kRejected);
      EXPECT_TRUE(batch.articles[i].content_hash.empty()) << "not hashed: rejected before";
      continue;
    }
    EXPECT_EQ(dispositions[i], Verify(alone[i])) << i;
    EXPECT_EQ(batch.articles[i].content_hash, alone[i].content_hash) << i;
    EXPECT_EQ(batch.articles[i].reason, alone[i].reason) << i;
    EXPECT_EQ(batch.articles[i].detail, alone[i].detail) << i;
  }
}

TEST(Sha256Test, FromHexParsesEitherCaseAndRoundTrips) {
  Sha256 sha256;
  Result<Sha256::Digest> digest = sha256.Hash("round trip");
  ASSERT_OK(digest.status());
  const std::string hex = ToHex(*digest);
  Sha256::Digest parsed{};
  ASSERT_TRUE(FromHex(hex, &parsed));
  EXPECT_EQ(parsed, *digest);
  Sha256::Digest upper{};
  ASSERT_TRUE(FromHex(Upper(hex), &upper));
  EXPECT_EQ(upper, *digest);
}

TEST(Sha256Test, FromHexRejectsMalformedDigests) {
  const std::string hex = Sha256Hex("x");
  Sha256::Digest digest{};
  EXPECT_FALSE(FromHex(hex.substr(1), &digest));
  EXPECT_FALSE(FromHex(hex + "0", &digest));
  EXPECT_FALSE(FromHex("g" + hex.substr(1), &digest));
  EXPECT_FALSE(FromHex(hex.substr(0, 63) + " ", &digest));
  EXPECT_FALSE(FromHex("", &digest));
}

}  // namespace
}  // namespace ingest
