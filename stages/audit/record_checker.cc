#include "stages/audit/record_checker.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "stages/parse/html_unescape.h"

namespace ingest {

namespace ondemand = simdjson::ondemand;

static_assert(kRecordPadding >= simdjson::SIMDJSON_PADDING,
              "lines need simdjson's padding after them");

struct RecordChecker::Parser {
  ondemand::parser parser;
};

namespace {

// JSON types a key accepts.
enum TypeBits : uint8_t {
  kString = 1,
  kNull = 2,
  kInteger = 4,
  kObject = 8,
};

struct FieldSpec {
  std::string_view name;
  uint8_t types;
  bool required;
};

// FORMAT.md §3, in the contract's order; the enum indexes the table.
enum ArticleField {
  kArticleId,
  kArticleOid,
  kArticleAid,
  kArticleUrl,
  kArticleTitle,
  kArticlePublisher,
  kArticleAuthor,
  kArticleCategory,
  kArticlePublishedAt,
  kArticleCrawledAt,
  kArticleContentHash,
  kArticleText,
  kArticleSource,
  kArticleRevision,
  kArticleExtra,
};
constexpr FieldSpec kArticleFields[] = {
    {"id", kString, true},
    {"oid", kString, true},
    {"aid", kString, true},
    {"url", kString | kNull, true},
    {"title", kString | kNull, true},
    {"publisher", kString | kNull, true},
    {"author", kString | kNull, true},
    {"category", kString | kNull, true},
    {"published_at", kString | kNull, true},
    {"crawled_at", kString | kNull, true},
    {"content_hash", kString, true},
    {"text", kString, true},
    {"source", kString, true},
    {"revision", kInteger, false},
    {"extra", kObject, false},
};

enum QuarantineField { kQuarantineSource, kQuarantineReason, kQuarantineDetail, kQuarantineId };
constexpr FieldSpec kQuarantineFields[] = {
    {"source", kString, true},
    {"reason", kString, true},
    {"detail", kString, true},
    {"id", kString, false},
};

enum DuplicateField {
  kDuplicateSource,
  kDuplicateId,
  kDuplicateKind,
  kDuplicateFirstSource,
  kDuplicateContentHash,
};
constexpr FieldSpec kDuplicateFields[] = {
    {"source", kString, true},
    {"id", kString, true},
    {"kind", kString, true},
    {"first_source", kString, true},
    {"content_hash", kString, true},
};

constexpr size_t kMaxFields = std::size(kArticleFields);

struct Schema {
  const FieldSpec* fields;
  size_t count;
};

Schema SchemaOf(RecordKind kind) {
  switch (kind) {
    case RecordKind::kQuarantine:
      return {kQuarantineFields, std::size(kQuarantineFields)};
    case RecordKind::kDuplicate:
      return {kDuplicateFields, std::size(kDuplicateFields)};
    case RecordKind::kArticle:
      break;
  }
  return {kArticleFields, std::size(kArticleFields)};
}

std::string_view TypeName(ondemand::json_type type) {
  switch (type) {
    case ondemand::json_type::array: return "an array";
    case ondemand::json_type::object: return "an object";
    case ondemand::json_type::number: return "a number";
    case ondemand::json_type::string: return "a string";
    case ondemand::json_type::boolean: return "a boolean";
    case ondemand::json_type::null: return "null";
  }
  return "unknown";
}

std::string WantedTypes(uint8_t types) {
  std::string wanted;
  for (auto [bit, name] : {std::pair{kString, "a string"}, std::pair{kNull, "null"},
                           std::pair{kInteger, "an integer"},
                           std::pair{kObject, "an object"}}) {
    if ((types & bit) == 0) continue;
    if (!wanted.empty()) wanted += " or ";
    wanted += name;
  }
  return wanted;
}

bool AllAsciiDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

bool LowercaseHex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

bool Blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r';
  });
}

LineProblem JsonProblem(simdjson::error_code error) {
  if (error == simdjson::UTF8_ERROR) {
    return {ProblemCode::kInvalidUtf8, "the line is not valid UTF-8"};
  }
  return {ProblemCode::kInvalidJson,
          std::string("not valid JSON: ") + simdjson::error_message(error)};
}

void AppendListItem(std::string_view item, std::string* list) {
  if (!list->empty()) list->append(", ");
  list->append(item);
}

// What the object's fields held, gathered in one pass over the line.
struct Fields {
  const Schema* schema = nullptr;
  bool present[kMaxFields] = {};
  // String values; the views point into the parser's string buffer and
  // stay valid until the parser's next document.
  std::string_view strings[kMaxFields];
  bool is_string[kMaxFields] = {};
  int64_t revision = 0;
  bool revision_is_integer = false;
  bool text_hashed = false;
  Sha256::Digest text_hash{};
  std::string wrong_types;  // "oid is a number, not a string; …"
  std::string unknown;      // unknown key names
  std::string repeated;     // repeated key names
};

int FieldIndex(const Schema& schema, std::string_view key) {
  for (size_t i = 0; i < schema.count; ++i) {
    if (schema.fields[i].name == key) return static_cast<int>(i);
  }
  return -1;
}

void NoteWrongType(std::string_view key, ondemand::json_type type, uint8_t wanted,
                   Fields* fields) {
  if (!fields->wrong_types.empty()) fields->wrong_types.append("; ");
  fields->wrong_types.append(key);
  fields->wrong_types.append(" is ");
  fields->wrong_types.append(TypeName(type));
  fields->wrong_types.append(", not ");
  fields->wrong_types.append(WantedTypes(wanted));
}

// Checks that a value the schema allows as null really is the literal.
simdjson::error_code ReadNull(ondemand::value& value) {
  bool is_null = false;
  simdjson::error_code error = value.is_null().get(is_null);
  return error || !is_null ? simdjson::N_ATOM_ERROR : simdjson::SUCCESS;
}

constexpr int kMaxDepth = 64;

// Reads any value through to its end, which validates it: On-Demand
// checks only what is read, and a value of an unknown key or of the wrong
// type must still be valid JSON. Never leaves a value half read.
simdjson::error_code ConsumeValue(ondemand::value& value, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  ondemand::json_type type;
  simdjson::error_code error = value.type().get(type);
  if (error) return error;
  switch (type) {
    case ondemand::json_type::array: {
      ondemand::array array;
      if ((error = value.get_array().get(array))) return error;
      for (auto element : array) {
        ondemand::value inner;
        if ((error = std::move(element).get(inner))) return error;
        if ((error = ConsumeValue(inner, depth + 1))) return error;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::object: {
      ondemand::object object;
      if ((error = value.get_object().get(object))) return error;
      for (auto member : object) {
        ondemand::field field;
        if ((error = std::move(member).get(field))) return error;
        std::string_view key;
        if ((error = field.unescaped_key().get(key))) return error;
        if ((error = ConsumeValue(field.value(), depth + 1))) return error;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::number: {
      ondemand::number number;
      return value.get_number().get(number);
    }
    case ondemand::json_type::string: {
      std::string_view text;
      return value.get_string().get(text);
    }
    case ondemand::json_type::boolean: {
      bool flag = false;
      return value.get_bool().get(flag) ? simdjson::T_ATOM_ERROR : simdjson::SUCCESS;
    }
    case ondemand::json_type::null:
      return ReadNull(value);
  }
  return simdjson::TAPE_ERROR;
}

// Reads a root value that is not an object through to its end.
simdjson::error_code ValidateNonObjectRoot(ondemand::document& document) {
  ondemand::json_type type;
  simdjson::error_code error = document.type().get(type);
  if (error) return error;
  switch (type) {
    case ondemand::json_type::array: {
      ondemand::array array;
      if ((error = document.get_array().get(array))) return error;
      for (auto element : array) {
        ondemand::value inner;
        if ((error = std::move(element).get(inner))) return error;
        if ((error = ConsumeValue(inner, 1))) return error;
      }
      break;
    }
    case ondemand::json_type::number: {
      ondemand::number number;
      error = document.get_number().get(number);
      break;
    }
    case ondemand::json_type::string: {
      std::string_view text;
      error = document.get_string().get(text);
      break;
    }
    case ondemand::json_type::boolean: {
      bool flag = false;
      error = document.get_bool().get(flag) ? simdjson::T_ATOM_ERROR : simdjson::SUCCESS;
      break;
    }
    case ondemand::json_type::null: {
      bool is_null = false;
      error = document.is_null().get(is_null) || !is_null ? simdjson::N_ATOM_ERROR
                                                          : simdjson::SUCCESS;
      break;
    }
    default:
      return simdjson::TAPE_ERROR;
  }
  if (error) return error;
  const char* trailing = nullptr;
  return document.current_location().get(trailing) == simdjson::OUT_OF_BOUNDS
             ? simdjson::SUCCESS
             : simdjson::TRAILING_CONTENT;
}

// `extra`: an object whose values are strings or null.
simdjson::error_code ReadExtra(ondemand::value& value, Fields* fields) {
  ondemand::object extra;
  simdjson::error_code error = value.get_object().get(extra);
  if (error) return error;
  for (auto member : extra) {
    ondemand::field field;
    if ((error = std::move(member).get(field))) return error;
    std::string_view key;
    if ((error = field.unescaped_key().get(key))) return error;
    std::string name = "extra." + std::string(key);
    ondemand::value& inner = field.value();
    ondemand::json_type type;
    if ((error = inner.type().get(type))) return error;
    if (type == ondemand::json_type::string) {
      std::string_view ignored;
      if ((error = inner.get_string().get(ignored))) return error;
    } else if (type == ondemand::json_type::null) {
      if ((error = ReadNull(inner))) return error;
    } else {
      NoteWrongType(name, type, kString | kNull, fields);
      if ((error = ConsumeValue(inner, 2))) return error;
    }
  }
  return simdjson::SUCCESS;
}

// One pass over the record's fields. Type errors are noted and the pass
// goes on; a JSON error ends it and is returned.
simdjson::error_code ReadFields(ondemand::object& object, RecordKind kind,
                                Sha256& sha256, Fields* fields, Status* failure) {
  const Schema& schema = *fields->schema;
  simdjson::error_code error = simdjson::SUCCESS;
  for (auto member : object) {
    ondemand::field field;
    if ((error = std::move(member).get(field))) return error;
    std::string_view key;
    if ((error = field.unescaped_key().get(key))) return error;
    ondemand::value& value = field.value();
    int index = FieldIndex(schema, key);
    if (index < 0 || fields->present[index]) {
      AppendListItem(key, index < 0 ? &fields->unknown : &fields->repeated);
      if ((error = ConsumeValue(value, 1))) return error;
      continue;
    }
    fields->present[index] = true;
    const FieldSpec& spec = schema.fields[index];
    ondemand::json_type type;
    if ((error = value.type().get(type))) return error;
    switch (type) {
      case ondemand::json_type::string: {
        if ((spec.types & kString) == 0) break;
        std::string_view text;
        if ((error = value.get_string().get(text))) return error;
        fields->strings[index] = text;
        fields->is_string[index] = true;
        if (kind == RecordKind::kArticle && index == kArticleText) {
          // Hashed while the text is hot in the cache.
          Result<Sha256::Digest> digest = sha256.Hash(text);
          if (!digest.ok()) {
            *failure = digest.status();
            return simdjson::SUCCESS;
          }
          fields->text_hash = *digest;
          fields->text_hashed = true;
        }
        continue;
      }
      case ondemand::json_type::null:
        if ((spec.types & kNull) == 0) break;
        if ((error = ReadNull(value))) return error;
        continue;
      case ondemand::json_type::number: {
        if ((spec.types & kInteger) == 0) break;
        ondemand::number_type number_type;
        if ((error = value.get_number_type().get(number_type))) return error;
        if (number_type != ondemand::number_type::signed_integer ||
            value.get_int64().get(fields->revision) != simdjson::SUCCESS) {
          NoteWrongType(key, type, spec.types, fields);
          fields->wrong_types.append(" (not an integer)");
          if ((error = ConsumeValue(value, 1))) return error;
          continue;
        }
        fields->revision_is_integer = true;
        continue;
      }
      case ondemand::json_type::object:
        if ((spec.types & kObject) == 0) break;
        if ((error = ReadExtra(value, fields))) return error;
        continue;
      default:
        break;
    }
    // A wrongly typed key counts as present (not missing) but unusable.
    NoteWrongType(key, type, spec.types, fields);
    if ((error = ConsumeValue(value, 1))) return error;
  }
  return error;
}

// The checks beyond the schema, in a fixed order, for an article record.
void CheckArticle(const Fields& fields, CheckedLine* out) {
  auto string_of = [&](ArticleField field) -> const std::string_view* {
    return fields.is_string[field] ? &fields.strings[field] : nullptr;
  };
  const std::string_view* oid = string_of(kArticleOid);
  const std::string_view* aid = string_of(kArticleAid);
  std::string bad_keys;
  for (auto [name, value] : {std::pair{"oid", oid}, std::pair{"aid", aid}}) {
    if (value != nullptr && !AllAsciiDigits(*value)) {
      AppendListItem(std::string(name) + " '" + std::string(*value) + "'", &bad_keys);
    }
  }
  if (!bad_keys.empty()) {
    out->problems.push_back({ProblemCode::kBadKey,
                             bad_keys + ": not a non-empty string of ASCII digits"});
  } else if (const std::string_view* id = string_of(kArticleId);
             id != nullptr && oid != nullptr && aid != nullptr) {
    std::string key = std::string(*oid) + "_" + std::string(*aid);
    if (*id != key) {
      out->problems.push_back({ProblemCode::kIdMismatch, "id '" + std::string(*id) +
                                                             "' is not oid_aid '" +
                                                             key + "'"});
    }
  }
  const std::string_view* hash = string_of(kArticleContentHash);
  bool hash_well_formed = hash != nullptr && LowercaseHex64(*hash);
  if (hash != nullptr && !hash_well_formed) {
    out->problems.push_back({ProblemCode::kBadHash,
                             "content_hash '" + std::string(*hash) +
                                 "' is not 64 lowercase hex digits"});
  }
  const std::string_view* text = string_of(kArticleText);
  if (text != nullptr && text->empty()) {
    out->problems.push_back({ProblemCode::kEmptyBody, "text is empty"});
  } else if (text != nullptr && StripPythonWhitespace(*text).size() != text->size()) {
    out->problems.push_back(
        {ProblemCode::kBadValue, "text starts or ends with whitespace (not stripped)"});
  }
  if (fields.revision_is_integer && fields.revision < 2) {
    out->problems.push_back({ProblemCode::kBadValue,
                             "revision " + std::to_string(fields.revision) +
                                 " is not an integer of at least 2"});
  }
  if (hash_well_formed) FromHex(*hash, &out->content_hash);
  if (hash_well_formed && fields.text_hashed) {
    if (out->content_hash == fields.text_hash) {
      out->hash_verified = true;
    } else {
      out->problems.push_back({ProblemCode::kHashMismatch,
                               "content_hash = " + std::string(*hash) +
                                   ", SHA-256 of text = " + ToHex(fields.text_hash)});
    }
  }
  if (const std::string_view* id = string_of(kArticleId)) out->id = std::string(*id);
  if (fields.present[kArticleRevision]) {
    // 0 marks a revision that cannot name a slot: the record is not keyed.
    bool usable = fields.revision_is_integer && fields.revision >= 2 &&
                  fields.revision <= UINT32_MAX;
    out->revision = usable ? static_cast<uint32_t>(fields.revision) : 0;
  }
}

void CheckQuarantine(const Fields& fields, CheckedLine* out) {
  if (fields.is_string[kQuarantineReason]) {
    std::string_view reason = fields.strings[kQuarantineReason];
    bool known = false;
    for (int i = 1; i < kQuarantineReasonCount; ++i) {
      known = known || QuarantineReasonName(static_cast<QuarantineReason>(i)) == reason;
    }
    if (!known) {
      out->problems.push_back({ProblemCode::kBadValue,
                               "reason '" + std::string(reason) +
                                   "' is not a FORMAT.md quarantine reason"});
    }
  }
  if (fields.is_string[kQuarantineId]) out->id = std::string(fields.strings[kQuarantineId]);
}

void CheckDuplicate(const Fields& fields, CheckedLine* out) {
  if (fields.is_string[kDuplicateKind]) {
    std::string_view kind = fields.strings[kDuplicateKind];
    if (kind != "duplicate" && kind != "revision") {
      out->problems.push_back({ProblemCode::kBadValue,
                               "kind '" + std::string(kind) +
                                   "' is neither duplicate nor revision"});
    }
  }
  if (fields.is_string[kDuplicateContentHash]) {
    std::string_view hash = fields.strings[kDuplicateContentHash];
    if (!LowercaseHex64(hash)) {
      out->problems.push_back({ProblemCode::kBadHash,
                               "content_hash '" + std::string(hash) +
                                   "' is not 64 lowercase hex digits"});
    } else {
      FromHex(hash, &out->content_hash);
    }
  }
  if (fields.is_string[kDuplicateId]) out->id = std::string(fields.strings[kDuplicateId]);
}

}  // namespace

RecordKind RecordKindOfPath(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return RecordKind::kArticle;
  std::string_view folder = path.substr(0, slash);
  folder = folder.substr(folder.rfind('/') == std::string_view::npos
                             ? 0
                             : folder.rfind('/') + 1);
  if (folder == "quarantine") return RecordKind::kQuarantine;
  if (folder == "duplicates") return RecordKind::kDuplicate;
  return RecordKind::kArticle;
}

std::string_view LeadingRecordId(std::string_view line) {
  constexpr std::string_view kStart = "{\"id\":\"";
  if (line.substr(0, kStart.size()) != kStart) return {};
  line.remove_prefix(kStart.size());
  size_t end = line.find('"');
  if (end == std::string_view::npos) return {};
  std::string_view id = line.substr(0, end);
  bool plain = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '_';
  });
  return plain ? id : std::string_view();
}

void CheckedLine::Clear() {
  problems.clear();
  id.clear();
  revision = 1;
  keyed = false;
  hash_verified = false;
  content_hash = {};
  source.clear();
}

RecordChecker::RecordChecker(bool keep_source)
    : parser_(std::make_unique<Parser>()), keep_source_(keep_source) {}

RecordChecker::~RecordChecker() = default;

Status RecordChecker::Check(std::string_view line, RecordKind kind,
                            CheckedLine* out) {
  padded_.assign(line);
  padded_.append(kRecordPadding, '\0');
  return CheckPadded(std::string_view(padded_.data(), line.size()), padded_.size(),
                     kind, out);
}

Status RecordChecker::CheckPadded(std::string_view line, size_t capacity,
                                  RecordKind kind, CheckedLine* out) {
  out->Clear();
  if (Blank(line)) {
    out->problems.push_back({ProblemCode::kInvalidJson, "blank line"});
    return Status::OK();
  }
  ondemand::document document;
  simdjson::error_code error =
      parser_->parser.iterate(line.data(), line.size(), capacity).get(document);
  if (error) {
    out->problems.push_back(JsonProblem(error));
    out->id = std::string(LeadingRecordId(line));
    return Status::OK();
  }
  ondemand::object object;
  error = document.get_object().get(object);
  if (error == simdjson::INCORRECT_TYPE) {
    // Valid JSON of another type, or not JSON at all ("not json" starts
    // like the atom null)?
    error = ValidateNonObjectRoot(document);
    out->problems.push_back(error ? JsonProblem(error)
                                  : LineProblem{ProblemCode::kWrongType,
                                                "the record is not a JSON object"});
    return Status::OK();
  }
  if (error) {
    out->problems.push_back(JsonProblem(error));
    return Status::OK();
  }

  Schema schema = SchemaOf(kind);
  Fields fields;
  fields.schema = &schema;
  Status failure;
  error = ReadFields(object, kind, sha256_, &fields, &failure);
  if (!failure.ok()) return failure;
  if (!error) {
    // Anything after the object's closing brace is not one JSON value.
    const char* trailing = nullptr;
    if (document.current_location().get(trailing) != simdjson::OUT_OF_BOUNDS) {
      error = simdjson::TRAILING_CONTENT;
    }
  }
  if (error) {
    out->problems.push_back(JsonProblem(error));
    // Whatever was read before the damage still names the record.
    size_t id_field = kind == RecordKind::kQuarantine  ? size_t{kQuarantineId}
                      : kind == RecordKind::kDuplicate ? size_t{kDuplicateId}
                                                       : size_t{kArticleId};
    if (fields.is_string[id_field]) {
      out->id = std::string(fields.strings[id_field]);
    } else {
      out->id = std::string(LeadingRecordId(line));
    }
    return Status::OK();
  }

  std::string missing;
  for (size_t i = 0; i < schema.count; ++i) {
    if (schema.fields[i].required && !fields.present[i]) {
      AppendListItem(schema.fields[i].name, &missing);
    }
  }
  if (!missing.empty()) {
    out->problems.push_back({ProblemCode::kMissingKey, "missing: " + missing});
  }
  if (!fields.wrong_types.empty()) {
    out->problems.push_back({ProblemCode::kWrongType, std::move(fields.wrong_types)});
  }
  if (!fields.unknown.empty()) {
    out->problems.push_back({ProblemCode::kUnknownKey, "unknown: " + fields.unknown});
  }
  if (!fields.repeated.empty()) {
    out->problems.push_back({ProblemCode::kRepeatedKey, "repeated: " + fields.repeated});
  }
  switch (kind) {
    case RecordKind::kArticle:
      CheckArticle(fields, out);
      out->keyed = fields.is_string[kArticleId] && out->revision != 0;
      if (keep_source_ && fields.is_string[kArticleSource]) {
        out->source = std::string(fields.strings[kArticleSource]);
      }
      break;
    case RecordKind::kQuarantine:
      CheckQuarantine(fields, out);
      break;
    case RecordKind::kDuplicate:
      CheckDuplicate(fields, out);
      break;
  }
  if (out->revision == 0) out->revision = 1;
  return Status::OK();
}

}  // namespace ingest
