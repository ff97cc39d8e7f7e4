#include "stages/parse/dates.h"


namespace ingest {

namespace {

bool Digits(std::string_view text, size_t pos, size_t count, int* value) {
  if (pos + count > text.size()) return false;
  int result = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    result = result * 10 + (c - '0');
  }
  *value = result;
  return true;
}

// Appends `value` as exactly `width` decimal digits (zero-padded); the
// hot path formats two dates per article, where snprintf showed up.
void AppendDigits(int value, int width, std::string* out) {
  char digits[8];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(digits, static_cast<size_t>(width));
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::string FormatUtcOffset(int minutes) {
  std::string out(1, minutes < 0 ? '-' : '+');
  if (minutes < 0) minutes = -minutes;
  AppendDigits(minutes / 60 % 100, 2, &out);
  out.push_back(':');
  AppendDigits(minutes % 60, 2, &out);
  return out;
}

std::optional<int> ParseUtcOffset(std::string_view text) {
  if (text == "Z" || text == "z") return 0;
  if (text.size() != 6 && text.size() != 5) return std::nullopt;
  if (text[0] != '+' && text[0] != '-') return std::nullopt;
  int hours = 0;
  int minutes = 0;
  if (!Digits(text, 1, 2, &hours)) return std::nullopt;
  size_t minute_pos = text.size() == 6 ? 4 : 3;
  if (text.size() == 6 && text[3] != ':') return std::nullopt;
  if (!Digits(text, minute_pos, 2, &minutes)) return std::nullopt;
  if (hours > 23 || minutes > 59) return std::nullopt;
  int total = hours * 60 + minutes;
  return text[0] == '-' ? -total : total;
}

std::optional<std::string> ToRfc3339(std::string_view value,
                                     int default_offset_minutes) {
  std::string out;
  if (!AppendRfc3339(value, default_offset_minutes, &out)) return std::nullopt;
  return out;
}

bool AppendRfc3339(std::string_view value, int default_offset_minutes,
                   std::string* out) {
  int year, month, day, hour, minute, second = 0;
  if (!Digits(value, 0, 4, &year) || value.size() < 16 || value[4] != '-' ||
      !Digits(value, 5, 2, &month) || value[7] != '-' ||
      !Digits(value, 8, 2, &day) || (value[10] != ' ' && value[10] != 'T') ||
      !Digits(value, 11, 2, &hour) || value[13] != ':' ||
      !Digits(value, 14, 2, &minute)) {
    return false;
  }
  size_t pos = 16;
  if (pos < value.size() && value[pos] == ':') {
    if (!Digits(value, pos + 1, 2, &second)) return false;
    pos += 3;
  }
  std::string_view fraction;
  if (pos < value.size() && value[pos] == '.') {
    size_t end = pos + 1;
    while (end < value.size() && value[end] >= '0' && value[end] <= '9') ++end;
    if (end == pos + 1) return false;
    fraction = value.substr(pos, end - pos);
    pos = end;
  }
  int offset = default_offset_minutes;
  if (pos < value.size()) {
    std::optional<int> parsed = ParseUtcOffset(value.substr(pos));
    if (!parsed) return false;
    offset = *parsed;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  AppendDigits(year, 4, out);
  out->push_back('-');
  AppendDigits(month, 2, out);
  out->push_back('-');
  AppendDigits(day, 2, out);
  out->push_back('T');
  AppendDigits(hour, 2, out);
  out->push_back(':');
  AppendDigits(minute, 2, out);
  out->push_back(':');
  AppendDigits(second, 2, out);
  out->append(fraction);
  out->append(FormatUtcOffset(offset));
  return true;
}

}  // namespace ingest
