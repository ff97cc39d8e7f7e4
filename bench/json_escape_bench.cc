// Micro-benchmark of AppendJsonString and AppendArticleRecord against the
// versions they replaced (copies kept below as the baseline): real articles,
// parsed, their texts escaped and their records written into one reused
// buffer, old and new alternating, medians of the repetitions. Prints ns
// per article for each and the median of the per-repetition ratios.
//   ingest_json_escape_bench [ARTICLES_DIR] [FILES] [REPETITIONS]
// ARTICLES_DIR defaults to the 2,000-article corpus bench/run_bench.py
// caches; FILES (400) of it are read, in name order.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/article.h"
#include "stages/emit/ndjson_writer.h"
#include "stages/parse/parse_stage.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace {

// The escaper before the write-through-pointer version, verbatim.
struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr EscapeTable kEscape;

inline size_t NextEscape(const char* data, size_t i, size_t size) {
#if defined(__SSE2__)
  const __m128i control_limit = _mm_set1_epi8(0x1F);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (i + 16 <= size) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    __m128i control =
        _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_limit), control_limit);
    __m128i special = _mm_or_si128(_mm_cmpeq_epi8(bytes, quote),
                                   _mm_cmpeq_epi8(bytes, backslash));
    int mask = _mm_movemask_epi8(_mm_or_si128(control, special));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i < size && !kEscape.needs[static_cast<unsigned char>(data[i])]) ++i;
  return i;
}

__attribute__((noinline)) void OldAppendJsonString(std::string_view text,
                                                   std::string* out) {
  out->push_back('"');
  const char* data = text.data();
  size_t size = text.size();
  size_t run_start = 0;
  for (size_t i = NextEscape(data, 0, size); i < size;
       i = NextEscape(data, i + 1, size)) {
    auto c = static_cast<unsigned char>(data[i]);
    out->append(data + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(escaped, sizeof(escaped));
      }
    }
  }
  out->append(data + run_start, size - run_start);
  out->push_back('"');
}

// The record writer before fewer, larger appends, verbatim but for names.
void OldAppendOptional(const std::optional<std::string>& value,
                       std::string* out) {
  if (value) {
    OldAppendJsonString(*value, out);
  } else {
    out->append("null");
  }
}

void OldAppendKey(std::string_view key, std::string* out) {
  out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

size_t OldAppendArticleRecord(const ingest::Article& article, std::string* out) {
  out->append("{\"id\":");
  OldAppendJsonString(article.id, out);
  OldAppendKey("oid", out);
  OldAppendJsonString(article.oid, out);
  OldAppendKey("aid", out);
  OldAppendJsonString(article.aid, out);
  OldAppendKey("url", out);
  OldAppendOptional(article.url, out);
  OldAppendKey("title", out);
  OldAppendOptional(article.title, out);
  OldAppendKey("publisher", out);
  OldAppendOptional(article.publisher, out);
  OldAppendKey("author", out);
  OldAppendOptional(article.author, out);
  OldAppendKey("category", out);
  OldAppendOptional(article.category, out);
  OldAppendKey("published_at", out);
  OldAppendOptional(article.published_at, out);
  OldAppendKey("crawled_at", out);
  OldAppendOptional(article.crawled_at, out);
  OldAppendKey("content_hash", out);
  OldAppendJsonString(article.content_hash, out);
  OldAppendKey("text", out);
  OldAppendJsonString(article.text, out);
  OldAppendKey("source", out);
  OldAppendJsonString(article.source, out);
  size_t revision_at = out->size();
  if (!article.extra.empty()) {
    OldAppendKey("extra", out);
    char separator = '{';
    for (const auto& [key, value] : article.extra) {
      out->push_back(separator);
      separator = ',';
      OldAppendJsonString(key, out);
      out->push_back(':');
      OldAppendOptional(value, out);
    }
    out->push_back('}');
  }
  out->append("}\n");
  return revision_at;
}

void OldText(const ingest::Article& article, std::string* out) {
  OldAppendJsonString(article.text, out);
}
void NewText(const ingest::Article& article, std::string* out) {
  ingest::AppendJsonString(article.text, out);
}
void OldRecord(const ingest::Article& article, std::string* out) {
  OldAppendArticleRecord(article, out);
}
void NewRecord(const ingest::Article& article, std::string* out) {
  ingest::AppendArticleRecord(article, out);
}

using Writer = void (*)(const ingest::Article&, std::string*);

// Writes every article `rounds` times into `out`, cleared before each the
// way RenderStage reuses an article's record buffer; returns ns per article.
double TimeOnce(Writer write, const std::vector<ingest::Article>& articles,
                int rounds, std::string* out, size_t* checksum) {
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r) {
    for (const ingest::Article& article : articles) {
      out->clear();
      write(article, out);
      *checksum += out->size();
    }
  }
  const std::chrono::duration<double, std::nano> elapsed =
      std::chrono::steady_clock::now() - start;
  return elapsed.count() / (static_cast<double>(rounds) * articles.size());
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ingest;
  const std::string dir =
      argc > 1 ? argv[1]
               : "/tmp/crawl-ingest-bench/corpus-2000-c8c015d1b2bc/articles";
  const size_t max_files = argc > 2 ? std::stoul(argv[2]) : 400;
  const int repetitions = argc > 3 ? std::stoi(argv[3]) : 15;

  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  if (paths.size() > max_files) paths.resize(max_files);

  ParseStage parse{ParseOptions()};
  std::unique_ptr<WorkerState> parse_state = parse.NewWorkerState();
  std::vector<Article> articles;
  size_t bytes = 0;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    Article article;
    article.source = path.string();
    article.raw = content.str();
    if (!parse.Process(article, parse_state.get()).ok() ||
        article.text.empty()) {
      continue;
    }
    article.raw.clear();
    bytes += article.text.size();
    articles.push_back(std::move(article));
  }
  if (articles.empty()) {
    std::fprintf(stderr, "json_escape_bench: no articles in %s\n",
                 dir.c_str());
    return 1;
  }

  std::string old_out, new_out;
  for (const Article& article : articles) {
    old_out.clear();
    new_out.clear();
    OldRecord(article, &old_out);
    NewRecord(article, &new_out);
    if (old_out != new_out) {
      std::fprintf(stderr, "json_escape_bench: records differ for %s\n",
                   article.source.c_str());
      return 1;
    }
  }

  const int rounds = 20;
  size_t checksum = 0;
  std::printf("%zu articles, texts of %.0f bytes on average\n",
              articles.size(), static_cast<double>(bytes) / articles.size());
  const struct {
    const char* name;
    Writer old_writer;
    Writer new_writer;
  } cases[] = {{"AppendJsonString(text)", OldText, NewText},
               {"AppendArticleRecord", OldRecord, NewRecord}};
  for (const auto& c : cases) {
    std::vector<double> old_ns, new_ns, ratios;
    for (int r = 0; r < repetitions; ++r) {
      old_ns.push_back(
          TimeOnce(c.old_writer, articles, rounds, &old_out, &checksum));
      new_ns.push_back(
          TimeOnce(c.new_writer, articles, rounds, &new_out, &checksum));
      ratios.push_back(old_ns.back() / new_ns.back());
    }
    std::printf("%-24s old %5.0f ns, new %5.0f ns per article; old/new %.2f\n",
                c.name, Median(old_ns), Median(new_ns), Median(ratios));
  }
  std::printf("(medians of %d repetitions; checksum %zu)\n", repetitions,
              checksum);
  return 0;
}
