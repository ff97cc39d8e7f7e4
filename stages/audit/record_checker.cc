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

// Whether a schema has a key.
enum Presence : uint8_t {
  kNotInSchema = 0,
  kOptional,
  kRequired,
};

struct FieldSpec {
  std::string_view name;
  uint8_t types;
  Presence presence;        // in the table's schema (FORMAT.md §3 for articles)
  Presence dolma_presence;  // article table only: at a Dolma document's top level
};

// Article records: FORMAT.md §3, in the contract's order, then the keys
// only a Dolma document has at its top level. One table for both layouts,
// so a line is read in one pass before its keys tell which it is; the keys
// both have (id, text, source) accept the same types in both. The enum
// indexes the table.
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
  kArticleAdded,
  kArticleCreated,
  kArticleMetadata,
};
constexpr FieldSpec kArticleFields[] = {
    {"id", kString, kRequired, kRequired},
    {"oid", kString, kRequired, kNotInSchema},
    {"aid", kString, kRequired, kNotInSchema},
    {"url", kString | kNull, kRequired, kNotInSchema},
    {"title", kString | kNull, kRequired, kNotInSchema},
    {"publisher", kString | kNull, kRequired, kNotInSchema},
    {"author", kString | kNull, kRequired, kNotInSchema},
    {"category", kString | kNull, kRequired, kNotInSchema},
    {"published_at", kString | kNull, kRequired, kNotInSchema},
    {"crawled_at", kString | kNull, kRequired, kNotInSchema},
    {"content_hash", kString, kRequired, kNotInSchema},
    {"text", kString, kRequired, kRequired},
    {"source", kString, kRequired, kRequired},
    {"revision", kInteger, kOptional, kNotInSchema},
    {"extra", kObject, kOptional, kNotInSchema},
    // Dolma: `added` and `created` are left out when unknown, never null.
    {"added", kString, kNotInSchema, kOptional},
    {"created", kString, kNotInSchema, kOptional},
    {"metadata", kObject, kNotInSchema, kRequired},
};

// A Dolma document's `metadata` (doc/dolma.md): the FORMAT.md fields Dolma's
// top level does not have, with the input path as `path`.
enum MetadataField {
  kMetadataOid,
  kMetadataAid,
  kMetadataUrl,
  kMetadataTitle,
  kMetadataPublisher,
  kMetadataAuthor,
  kMetadataCategory,
  kMetadataContentHash,
  kMetadataPath,
  kMetadataRevision,
  kMetadataExtra,
};
constexpr FieldSpec kMetadataFields[] = {
    {"oid", kString, kRequired, kNotInSchema},
    {"aid", kString, kRequired, kNotInSchema},
    {"url", kString | kNull, kRequired, kNotInSchema},
    {"title", kString | kNull, kRequired, kNotInSchema},
    {"publisher", kString | kNull, kRequired, kNotInSchema},
    {"author", kString | kNull, kRequired, kNotInSchema},
    {"category", kString | kNull, kRequired, kNotInSchema},
    {"content_hash", kString, kRequired, kNotInSchema},
    {"path", kString, kRequired, kNotInSchema},
    {"revision", kInteger, kOptional, kNotInSchema},
    {"extra", kObject, kOptional, kNotInSchema},
};

enum QuarantineField { kQuarantineSource, kQuarantineReason, kQuarantineDetail, kQuarantineId };
constexpr FieldSpec kQuarantineFields[] = {
    {"source", kString, kRequired, kNotInSchema},
    {"reason", kString, kRequired, kNotInSchema},
    {"detail", kString, kRequired, kNotInSchema},
    {"id", kString, kOptional, kNotInSchema},
};

enum DuplicateField {
  kDuplicateSource,
  kDuplicateId,
  kDuplicateKind,
  kDuplicateFirstSource,
  kDuplicateContentHash,
};
constexpr FieldSpec kDuplicateFields[] = {
    {"source", kString, kRequired, kNotInSchema},
    {"id", kString, kRequired, kNotInSchema},
    {"kind", kString, kRequired, kNotInSchema},
    {"first_source", kString, kRequired, kNotInSchema},
    {"content_hash", kString, kRequired, kNotInSchema},
};

constexpr size_t kMaxFields = std::size(kArticleFields);
static_assert(std::size(kMetadataFields) <= kMaxFields);

struct Schema {
  const FieldSpec* fields;
  size_t count;
  int text_index = -1;      // the text hashed while it is read
  int metadata_index = -1;  // an object read with kMetadataSchema
  int extra_index = -1;     // an object of strings or null
};

constexpr Schema kMetadataSchema{kMetadataFields, std::size(kMetadataFields), -1, -1,
                                 kMetadataExtra};

Schema SchemaOf(RecordKind kind) {
  switch (kind) {
    case RecordKind::kQuarantine:
      return {kQuarantineFields, std::size(kQuarantineFields)};
    case RecordKind::kDuplicate:
      return {kDuplicateFields, std::size(kDuplicateFields)};
    case RecordKind::kArticle:
      break;
  }
  return {kArticleFields, std::size(kArticleFields), kArticleText, kArticleMetadata,
          kArticleExtra};
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
// What the object's fields held, gathered in one pass over the line.
// Type errors are kept per field and named only once the layout is known:
// a key of the other layout is unknown, not wrongly typed.
struct Fields {
  const Schema* schema = nullptr;
  std::string_view prefix;  // put before key names in details: "metadata."
  bool present[kMaxFields] = {};
  // String values; the views point into the parser's string buffer and
  // stay valid until the parser's next document.
  std::string_view strings[kMaxFields];
  bool is_string[kMaxFields] = {};
  bool wrong[kMaxFields] = {};  // present with a type the table does not allow
  ondemand::json_type wrong_type[kMaxFields] = {};
  bool not_integer = false;  // the integer field holds another number
  int64_t revision = 0;
  bool revision_is_integer = false;
  bool text_hashed = false;
  Sha256::Digest text_hash{};
  std::string extra_wrong;  // "extra.c is a number, not a string or null; …"
  std::string unknown;      // names of keys the table does not have
  std::string repeated;     // repeated key names
  Fields* metadata = nullptr;  // where a `metadata` object's fields go
  bool metadata_read = false;  // `metadata` was an object, read into *metadata
};

// The table's index of `key`, or -1. The search starts after `hint` (the
// last key found), since writers put keys in the table's order.
int FieldIndex(const Schema& schema, std::string_view key, int hint) {
  size_t start = static_cast<size_t>(hint + 1);
  for (size_t i = start; i < schema.count; ++i) {
    if (schema.fields[i].name == key) return static_cast<int>(i);
  }
  for (size_t i = 0; i < start && i < schema.count; ++i) {
    if (schema.fields[i].name == key) return static_cast<int>(i);
  }
  return -1;
}

void AppendKeyName(const Fields& fields, std::string_view key, std::string* list) {
  if (!list->empty()) list->append(", ");
  list->append(fields.prefix);
  list->append(key);
}

void AppendWrongType(std::string_view prefix, std::string_view key,
                     ondemand::json_type type, uint8_t wanted, std::string* out) {
  if (!out->empty()) out->append("; ");
  out->append(prefix);
  out->append(key);
  out->append(" is ");
  out->append(TypeName(type));
  out->append(", not ");
  out->append(WantedTypes(wanted));
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
    ondemand::value& inner = field.value();
    ondemand::json_type type;
    if ((error = inner.type().get(type))) return error;
    if (type == ondemand::json_type::string) {
      std::string_view ignored;
      if ((error = inner.get_string().get(ignored))) return error;
    } else if (type == ondemand::json_type::null) {
      if ((error = ReadNull(inner))) return error;
    } else {
      std::string name = "extra." + std::string(key);
      AppendWrongType(fields->prefix, name, type, kString | kNull, &fields->extra_wrong);
      if ((error = ConsumeValue(inner, 2))) return error;
    }
  }
  return simdjson::SUCCESS;
}

// One pass over the record's fields (and a `metadata` object's, into
// fields->metadata). Type errors are noted and the pass goes on; a JSON
// error ends it and is returned.
simdjson::error_code ReadFields(ondemand::object& object, Sha256& sha256, Fields* fields,
                                Status* failure) {
  const Schema& schema = *fields->schema;
  simdjson::error_code error = simdjson::SUCCESS;
  int hint = -1;
  for (auto member : object) {
    ondemand::field field;
    if ((error = std::move(member).get(field))) return error;
    std::string_view key;
    if ((error = field.unescaped_key().get(key))) return error;
    ondemand::value& value = field.value();
    int index = FieldIndex(schema, key, hint);
    if (index < 0 || fields->present[index]) {
      AppendKeyName(*fields, key, index < 0 ? &fields->unknown : &fields->repeated);
      if ((error = ConsumeValue(value, 1))) return error;
      continue;
    }
    hint = index;
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
        if (index == schema.text_index) {
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
          fields->not_integer = true;
          fields->wrong[index] = true;
          fields->wrong_type[index] = type;
          if ((error = ConsumeValue(value, 1))) return error;
          continue;
        }
        fields->revision_is_integer = true;
        continue;
      }
      case ondemand::json_type::object:
        if ((spec.types & kObject) == 0) break;
        if (index == schema.metadata_index && fields->metadata != nullptr) {
          ondemand::object nested;
          if ((error = value.get_object().get(nested))) return error;
          if ((error = ReadFields(nested, sha256, fields->metadata, failure))) return error;
          fields->metadata_read = true;
        } else if ((error = ReadExtra(value, fields))) {
          return error;
        }
        continue;
      default:
        break;
    }
    // A wrongly typed key counts as present (not missing) but unusable.
    fields->wrong[index] = true;
    fields->wrong_type[index] = type;
    if ((error = ConsumeValue(value, 1))) return error;
  }
  return error;
}

// A Dolma document rather than a FORMAT.md §3 record: it has a key only
// Dolma's top level has and not FORMAT.md's oid (a Dolma document keeps
// oid in metadata).
bool IsDolmaDocument(const Fields& fields) {
  return (fields.present[kArticleMetadata] || fields.present[kArticleAdded] ||
          fields.present[kArticleCreated]) &&
         !fields.present[kArticleOid];
}

// What the layout says about the keys read: missing, wrongly typed and
// (for keys of the other layout) unknown ones, appended to the lists in the
// table's order.
struct SchemaProblems {
  std::string missing;
  std::string wrong_types;
  std::string unknown;
  std::string repeated;
};

void CollectSchemaProblems(const Fields& fields, bool dolma, SchemaProblems* out) {
  const Schema& schema = *fields.schema;
  if (!fields.unknown.empty()) AppendListItem(fields.unknown, &out->unknown);
  if (!fields.repeated.empty()) AppendListItem(fields.repeated, &out->repeated);
  for (size_t i = 0; i < schema.count; ++i) {
    const FieldSpec& spec = schema.fields[i];
    Presence presence = dolma ? spec.dolma_presence : spec.presence;
    if (presence == kNotInSchema) {
      if (fields.present[i]) AppendKeyName(fields, spec.name, &out->unknown);
      continue;
    }
    if (presence == kRequired && !fields.present[i]) {
      AppendKeyName(fields, spec.name, &out->missing);
    }
    if (fields.wrong[i]) {
      AppendWrongType(fields.prefix, spec.name, fields.wrong_type[i], spec.types,
                      &out->wrong_types);
      if ((spec.types & kInteger) != 0 && fields.not_integer) {
        out->wrong_types.append(" (not an integer)");
      }
    }
    if (static_cast<int>(i) == schema.extra_index && !fields.extra_wrong.empty()) {
      if (!out->wrong_types.empty()) out->wrong_types.append("; ");
      out->wrong_types.append(fields.extra_wrong);
    }
  }
}

// Where an article's key fields are: FORMAT.md §3 has them at the top
// level, a Dolma document in `metadata`.
struct KeyFieldIndexes {
  int oid;
  int aid;
  int content_hash;
  int source;  // the input path
  int revision;
};
constexpr KeyFieldIndexes kNativeKeyFields{kArticleOid, kArticleAid, kArticleContentHash,
                                           kArticleSource, kArticleRevision};
constexpr KeyFieldIndexes kDolmaKeyFields{kMetadataOid, kMetadataAid, kMetadataContentHash,
                                          kMetadataPath, kMetadataRevision};

// The length of a Dolma revision suffix "-r<digits>" ending `id`; 0 when
// there is none.
size_t RevisionSuffixLength(std::string_view id) {
  size_t dash = id.rfind("-r");
  if (dash == std::string_view::npos || dash + 2 == id.size()) return 0;
  std::string_view digits = id.substr(dash + 2);
  return AllAsciiDigits(digits) ? id.size() - dash : 0;
}

// The checks beyond the schema, in a fixed order, for an article record.
// `keys` holds the key fields (the record itself, or a Dolma document's
// metadata; null when a Dolma document has no usable metadata).
void CheckArticle(const Fields& top, const Fields* keys, const KeyFieldIndexes& at,
                  bool dolma, bool keep_source, CheckedLine* out) {
  auto string_of = [](const Fields* fields, int field) -> const std::string_view* {
    return fields != nullptr && fields->is_string[field] ? &fields->strings[field]
                                                         : nullptr;
  };
  auto name_of = [&](std::string_view name) {
    return dolma ? "metadata." + std::string(name) : std::string(name);
  };
  const std::string_view* id = string_of(&top, kArticleId);
  const std::string_view* oid = string_of(keys, at.oid);
  const std::string_view* aid = string_of(keys, at.aid);
  bool revision_present = keys != nullptr && keys->present[at.revision];
  bool revision_usable = revision_present && keys->revision_is_integer &&
                         keys->revision >= 2 && keys->revision <= UINT32_MAX;
  std::string bad_keys;
  for (auto [name, value] : {std::pair{"oid", oid}, std::pair{"aid", aid}}) {
    if (value != nullptr && !AllAsciiDigits(*value)) {
      AppendListItem(name_of(name) + " '" + std::string(*value) + "'", &bad_keys);
    }
  }
  if (!bad_keys.empty()) {
    out->problems.push_back({ProblemCode::kBadKey,
                             bad_keys + ": not a non-empty string of ASCII digits"});
  } else if (id != nullptr && oid != nullptr && aid != nullptr) {
    std::string key = std::string(*oid) + "_" + std::string(*aid);
    std::string wanted = key;
    std::string_view form = "oid_aid";
    if (dolma && revision_usable) {
      // An emitted revision's id carries its number, so ids stay unique.
      wanted += "-r" + std::to_string(keys->revision);
      form = "oid_aid-r<metadata.revision>";
    }
    if (*id != wanted) {
      out->problems.push_back({ProblemCode::kIdMismatch,
                               "id '" + std::string(*id) + "' is not " +
                                   std::string(form) + " '" + wanted + "'"});
    }
  }
  const std::string_view* hash = string_of(keys, at.content_hash);
  bool hash_well_formed = hash != nullptr && LowercaseHex64(*hash);
  if (hash != nullptr && !hash_well_formed) {
    out->problems.push_back({ProblemCode::kBadHash,
                             name_of("content_hash") + " '" + std::string(*hash) +
                                 "' is not 64 lowercase hex digits"});
  }
  const std::string_view* text = string_of(&top, kArticleText);
  if (text != nullptr && text->empty()) {
    out->problems.push_back({ProblemCode::kEmptyBody, "text is empty"});
  } else if (text != nullptr && StripPythonWhitespace(*text).size() != text->size()) {
    out->problems.push_back(
        {ProblemCode::kBadValue, "text starts or ends with whitespace (not stripped)"});
  }
  if (revision_present && keys->revision_is_integer && keys->revision < 2) {
    out->problems.push_back({ProblemCode::kBadValue,
                             name_of("revision") + " " + std::to_string(keys->revision) +
                                 " is not an integer of at least 2"});
  }
  if (hash_well_formed) FromHex(*hash, &out->content_hash);
  if (hash_well_formed && top.text_hashed) {
    if (out->content_hash == top.text_hash) {
      out->hash_verified = true;
    } else {
      // Which of the two was edited only the state can tell.
      out->hash_mismatched = true;
      out->text_hash = top.text_hash;
      out->problems.push_back(
          {ProblemCode::kHashMismatch,
           name_of("content_hash") + " = " + std::string(*hash) +
               ", SHA-256 of text = " + ToHex(top.text_hash) +
               " (audit --state DIR --out DIR tells an edited text from an edited "
               "content_hash)"});
    }
  }
  if (id != nullptr) {
    std::string_view written = *id;
    if (dolma) written.remove_suffix(RevisionSuffixLength(written));
    out->id = std::string(written);
  }
  if (revision_present) {
    // 0 marks a revision that cannot name a slot: the record is not keyed.
    out->revision = revision_usable ? static_cast<uint32_t>(keys->revision) : 0;
  }
  if (const std::string_view* source = string_of(keys, at.source); keep_source) {
    if (source != nullptr) out->source = std::string(*source);
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
  id.remove_suffix(RevisionSuffixLength(id));  // a Dolma revision's "-r<n>"
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
  dolma = false;
  hash_verified = false;
  hash_mismatched = false;
  content_hash = {};
  text_hash = {};
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
  // A Dolma document's metadata; read only for article records.
  Fields metadata;
  metadata.schema = &kMetadataSchema;
  metadata.prefix = "metadata.";
  if (kind == RecordKind::kArticle) fields.metadata = &metadata;
  Status failure;
  error = ReadFields(object, sha256_, &fields, &failure);
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
      std::string_view id = fields.strings[id_field];
      if (kind == RecordKind::kArticle) id.remove_suffix(RevisionSuffixLength(id));
      out->id = std::string(id);
    } else {
      out->id = std::string(LeadingRecordId(line));
    }
    return Status::OK();
  }

  const bool dolma = kind == RecordKind::kArticle && IsDolmaDocument(fields);
  SchemaProblems found;
  CollectSchemaProblems(fields, dolma, &found);
  if (dolma && fields.metadata_read) CollectSchemaProblems(metadata, false, &found);
  if (!found.missing.empty()) {
    out->problems.push_back({ProblemCode::kMissingKey, "missing: " + found.missing});
  }
  if (!found.wrong_types.empty()) {
    out->problems.push_back({ProblemCode::kWrongType, std::move(found.wrong_types)});
  }
  if (!found.unknown.empty()) {
    out->problems.push_back({ProblemCode::kUnknownKey, "unknown: " + found.unknown});
  }
  if (!found.repeated.empty()) {
    out->problems.push_back({ProblemCode::kRepeatedKey, "repeated: " + found.repeated});
  }
  switch (kind) {
    case RecordKind::kArticle:
      out->dolma = dolma;
      if (dolma) {
        CheckArticle(fields, fields.metadata_read ? &metadata : nullptr, kDolmaKeyFields,
                     true, keep_source_, out);
      } else {
        CheckArticle(fields, &fields, kNativeKeyFields, false, keep_source_, out);
      }
      out->keyed = fields.is_string[kArticleId] && out->revision != 0;
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
