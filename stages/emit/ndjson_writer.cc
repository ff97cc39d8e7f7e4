#include "stages/emit/ndjson_writer.h"

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
// The build targets baseline x86-64; an AVX2 copy of the loop is compiled
// with the target attribute (gcc and clang) and chosen at run time.
#if defined(__GNUC__)
#include <immintrin.h>
#define INGEST_JSON_AVX2 1
#endif
#endif

#include "pipeline/string_growth.h"

namespace ingest {

namespace {

// How each byte is written in a JSON string: `needs` marks the controls,
// '"' and '\'; `short_form` is the letter after '\' for those with a
// two-byte escape, 0 for the controls written as \u00xx.
struct EscapeTable {
  bool needs[256] = {};
  char short_form[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
    short_form[static_cast<unsigned char>('"')] = '"';
    short_form[static_cast<unsigned char>('\\')] = '\\';
    short_form[static_cast<unsigned char>('\n')] = 'n';
    short_form[static_cast<unsigned char>('\r')] = 'r';
    short_form[static_cast<unsigned char>('\t')] = 't';
    short_form[static_cast<unsigned char>('\b')] = 'b';
    short_form[static_cast<unsigned char>('\f')] = 'f';
  }
};
constexpr EscapeTable kEscape;

// The longest escape, "\u00xx".
constexpr size_t kMaxEscape = 6;

// Writes the escape of `c`, a byte kEscape.needs, at `dst`; returns its end.
inline char* WriteEscape(unsigned char c, char* dst) {
  dst[0] = '\\';
  if (const char letter = kEscape.short_form[c]) {
    dst[1] = letter;
    return dst + 2;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  dst[1] = 'u';
  dst[2] = '0';
  dst[3] = '0';
  dst[4] = kHex[c >> 4];
  dst[5] = kHex[c & 0xF];
  return dst + 6;
}

// Blocks: CopyAndMask(src, dst) copies kWidth bytes from `src` to `dst`
// and returns the mask of those that need escaping (bit n for byte n).
// Bytes >= 0x80, all of Hangul's UTF-8, never match, so Korean text moves a
// whole vector at a time with no separate scan and copy.
struct NoBlock {
  static constexpr size_t kWidth = 0;
};

#if defined(__SSE2__)
struct Sse2Block {
  static constexpr size_t kWidth = 16;
  static uint32_t CopyAndMask(const char* src, char* dst) {
    const __m128i control_limit = _mm_set1_epi8(0x1F);
    const __m128i bytes =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), bytes);
    const __m128i control =
        _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_limit), control_limit);
    const __m128i special =
        _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
                     _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')));
    return static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(control, special)));
  }
};
#endif

#if defined(INGEST_JSON_AVX2)
struct Avx2Block {
  static constexpr size_t kWidth = 32;
  __attribute__((target("avx2"))) static uint32_t CopyAndMask(const char* src,
                                                              char* dst) {
    const __m256i control_limit = _mm256_set1_epi8(0x1F);
    const __m256i bytes =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), bytes);
    const __m256i control =
        _mm256_cmpeq_epi8(_mm256_max_epu8(bytes, control_limit), control_limit);
    const __m256i special =
        _mm256_or_si256(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('"')),
                        _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('\\')));
    return static_cast<uint32_t>(
        _mm256_movemask_epi8(_mm256_or_si256(control, special)));
  }
};
#endif

// The escaping loop: writes `text` as a JSON string literal at `dst` and
// returns the end of what it wrote. Blocks are stored whole and the pointer
// moves past the clean bytes, so an escape costs a few byte stores instead
// of two std::string appends. The space up to `end` must hold
// text.size() + 2 + Block::kWidth bytes; the loop keeps room for the rest
// of the text as it is, an overrunning block and the closing quote, and
// when an escape would break that, regrow(&dst, &end, rest) moves the
// space (`rest`: the bytes of text from the escaped one on). always_inline
// so that each block type is inlined into a function compiled for its
// instruction set.
template <typename Block, typename TailBlock, typename RegrowFunction>
__attribute__((always_inline)) inline char* EscapeInto(std::string_view text,
                                                       char* dst, char* end,
                                                       RegrowFunction regrow) {
  static_assert(TailBlock::kWidth <= Block::kWidth);
  constexpr size_t kWidth = Block::kWidth;
  const char* data = text.data();
  const size_t size = text.size();
  *dst++ = '"';
  const auto escape = [&](size_t i) __attribute__((always_inline)) {
    const size_t rest = size - i;
    if (static_cast<size_t>(end - dst) < rest + kWidth + kMaxEscape) {
      regrow(&dst, &end, rest);
    }
    dst = WriteEscape(static_cast<unsigned char>(data[i]), dst);
  };
  size_t i = 0;
  const auto copy_blocks = [&](auto block) __attribute__((always_inline)) {
    using B = decltype(block);
    if constexpr (B::kWidth > 0) {
      while (i + B::kWidth <= size) {
        const uint32_t mask = B::CopyAndMask(data + i, dst);
        if (mask == 0) {
          i += B::kWidth;
          dst += B::kWidth;
          continue;
        }
        const auto clean = static_cast<size_t>(__builtin_ctz(mask));
        i += clean;
        dst += clean;
        escape(i);
        ++i;
      }
    }
  };
  copy_blocks(Block());
  copy_blocks(TailBlock());
  for (; i < size; ++i) {
    if (kEscape.needs[static_cast<unsigned char>(data[i])]) {
      escape(i);
    } else {
      *dst++ = data[i];
    }
  }
  *dst++ = '"';
  return dst;
}

// Texts up to this long are escaped into a stack buffer and appended once:
// for ids, dates and titles growing the string costs more than the escaping.
constexpr size_t kShortText = 128;

template <typename Block, typename TailBlock>
__attribute__((always_inline)) inline void AppendEscaped(std::string_view text,
                                                         std::string* out) {
  constexpr size_t kWidth = Block::kWidth;
  const size_t size = text.size();
  if (size <= kShortText) {
    // Room for every byte escaped at its longest, so it never regrows.
    char buffer[kShortText * kMaxEscape + 2 + kWidth];
    const char* end = EscapeInto<Block, TailBlock>(
        text, buffer, buffer + sizeof(buffer), [](char**, char**, size_t) {});
    out->append(buffer, static_cast<size_t>(end - buffer));
    return;
  }
  // Room for the text as it is and a few escapes, cut to what was written
  // at the end.
  const size_t slack = kWidth + 32 + size / 32;
  const size_t at = out->size();
  GrowUninitialized(out, at + size + 2 + slack);
  // Twice the rest: a text of escapes only regrows a logarithmic number of
  // times.
  const auto regrow = [out, slack](char** dst, char** end, size_t rest) {
    const size_t written = static_cast<size_t>(*dst - out->data());
    GrowUninitialized(out, written + 2 * rest + kWidth + kMaxEscape + slack);
    *dst = out->data() + written;
    *end = out->data() + out->size();
  };
  const char* end = EscapeInto<Block, TailBlock>(
      text, out->data() + at, out->data() + out->size(), regrow);
  out->resize(static_cast<size_t>(end - out->data()));
}

#if defined(INGEST_JSON_AVX2)
__attribute__((target("avx2"))) void AppendEscapedAvx2(std::string_view text,
                                                       std::string* out) {
  AppendEscaped<Avx2Block, Sse2Block>(text, out);
}
#endif

using AppendEscapedFunction = void (*)(std::string_view, std::string*);

AppendEscapedFunction ChooseAppendEscaped() {
#if defined(INGEST_JSON_AVX2)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return AppendEscapedAvx2;
#endif
#if defined(__SSE2__)
  return AppendEscaped<Sse2Block, NoBlock>;
#else
  return AppendEscaped<NoBlock, NoBlock>;
#endif
}

void AppendOptional(const std::optional<std::string>& value, std::string* out) {
  if (value) {
    AppendJsonString(*value, out);
  } else {
    out->append("null");
  }
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  // Resolved once: the build targets baseline x86-64, AVX2 is a run-time
  // property of the machine.
  static const AppendEscapedFunction append_escaped = ChooseAppendEscaped();
  append_escaped(text, out);
}

size_t AppendArticleRecord(const Article& article, std::string* out) {
  out->append("{\"id\":");
  AppendJsonString(article.id, out);
  out->append(",\"oid\":");
  AppendJsonString(article.oid, out);
  out->append(",\"aid\":");
  AppendJsonString(article.aid, out);
  out->append(",\"url\":");
  AppendOptional(article.url, out);
  out->append(",\"title\":");
  AppendOptional(article.title, out);
  out->append(",\"publisher\":");
  AppendOptional(article.publisher, out);
  out->append(",\"author\":");
  AppendOptional(article.author, out);
  out->append(",\"category\":");
  AppendOptional(article.category, out);
  out->append(",\"published_at\":");
  AppendOptional(article.published_at, out);
  out->append(",\"crawled_at\":");
  AppendOptional(article.crawled_at, out);
  out->append(",\"content_hash\":");
  AppendJsonString(article.content_hash, out);
  out->append(",\"text\":");
  AppendJsonString(article.text, out);
  out->append(",\"source\":");
  AppendJsonString(article.source, out);
  size_t revision_at = out->size();
  if (!article.extra.empty()) {
    out->append(",\"extra\":");
    char separator = '{';
    for (const auto& [key, value] : article.extra) {
      out->push_back(separator);
      separator = ',';
      AppendJsonString(key, out);
      out->push_back(':');
      AppendOptional(value, out);
    }
    out->push_back('}');
  }
  out->append("}\n");
  return revision_at;
}

void AppendWithRevision(std::string_view record, size_t revision_at,
                        uint32_t revision, std::string* out) {
  out->append(record.substr(0, revision_at));
  out->append(",\"revision\":");
  out->append(std::to_string(revision));
  out->append(record.substr(revision_at));
}

void AppendQuarantineRecord(const Article& article, std::string* out) {
  out->append("{\"source\":");
  AppendJsonString(article.source, out);
  out->append(",\"reason\":");
  AppendJsonString(QuarantineReasonName(article.reason), out);
  out->append(",\"detail\":");
  AppendJsonString(article.detail, out);
  if (!article.id.empty()) {
    out->append(",\"id\":");
    AppendJsonString(article.id, out);
  }
  out->append("}\n");
}

void AppendDuplicateRecord(const Article& article, std::string* out) {
  out->append("{\"source\":");
  AppendJsonString(article.source, out);
  out->append(",\"id\":");
  AppendJsonString(article.id, out);
  out->append(",\"kind\":");
  AppendJsonString(article.outcome == Outcome::kRevision ? "revision" : "duplicate",
                   out);
  out->append(",\"first_source\":");
  AppendJsonString(article.first_source, out);
  out->append(",\"content_hash\":");
  AppendJsonString(article.content_hash, out);
  out->append("}\n");
}

}  // namespace ingest
