// Date normalisation of FORMAT.md §1.3: `YYYY-MM-DD HH:MM[:SS]` (or with a
// `T`, optional fractional seconds, optional `Z` / `±HH:MM` / `±HHMM`
// offset) to RFC 3339 with an explicit offset. Pure and thread-safe.
#ifndef INGEST_STAGES_PARSE_DATES_H_
#define INGEST_STAGES_PARSE_DATES_H_

#include <optional>
#include <string>
#include <string_view>

namespace ingest {

// Minutes east of UTC for "+09:00", "-05:30", "+0900", "Z" (0); nullopt
// when malformed or beyond ±23:59.
std::optional<int> ParseUtcOffset(std::string_view text);

// `value` as RFC 3339, e.g. "2025-12-30T00:00:00+09:00", with naive times
// placed in `default_offset_minutes`; nullopt when it does not parse or
// names an impossible date or time.
std::optional<std::string> ToRfc3339(std::string_view value,
                                     int default_offset_minutes);

// The same appended to `out`, for callers that reuse a buffer; false, with
// `out` untouched, when ToRfc3339 would give nullopt.
bool AppendRfc3339(std::string_view value, int default_offset_minutes,
                   std::string* out);

// "+09:00" for 540.
std::string FormatUtcOffset(int minutes);

}  // namespace ingest

#endif  // INGEST_STAGES_PARSE_DATES_H_
