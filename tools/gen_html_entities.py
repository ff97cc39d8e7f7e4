#!/usr/bin/env python3
"""Writes stages/parse/html_entities.inc, the tables behind html_unescape.cc.

The data comes from the running Python: html.entities.html5 (the WHATWG list of
named character references, with and without ';') and html._invalid_charrefs
(the numeric references HTML5 remaps, e.g. &#x80; -> U+20AC). Those are exactly
the tables html.unescape() uses, so the C++ unescaper matches it by
construction. The output is deterministic: run it again with the same Python
and it writes the same bytes.

Usage (from the repository root):
    python3 tools/gen_html_entities.py [output_path]
The output path defaults to stages/parse/html_entities.inc next to this tool.

The lookup structure is an open-addressing hash table (linear probing) of
FNV-1a hashes over the names. The generator tries a range of FNV seeds and
keeps the one with the shortest probe sequences, so a lookup is one hash pass
over at most 32 bytes plus, nearly always, one or two slot reads.
"""

import html
import html.entities
import os
import sys

# 2^13 slots for 2231 names: a load of 0.27 keeps misses (the common case in
# the longest-prefix search) to about one probe.
SLOT_BITS = 13
FNV_OFFSET_BASIS = 2166136261
FNV_PRIME = 16777619
SEED_CANDIDATES = 512
# The C++ side stores a replacement inline in a char[8], which also holds the
# string literal's NUL; a C1 replacement in a char[4].
REPLACEMENT_CAPACITY = 7
C1_REPLACEMENT_CAPACITY = 3

HEADER = """\
// GENERATED FILE - DO NOT EDIT.
// Written by tools/gen_html_entities.py from Python {python_version}'s
// html.entities.html5 and html._invalid_charrefs. To regenerate, from the
// repository root: python3 tools/gen_html_entities.py
//
// Included by stages/parse/html_unescape.cc inside its anonymous namespace,
// which defines NamedReference and NumericReplacement. Immutable data: safe
// to read from any number of threads.

// {count} named references, {legacy_count} of them legacy names without ';'.
constexpr int kNamedReferenceCount = {count};
// Longest name, ';' included.
constexpr int kLongestNamedReference = {longest_name};
// Longest name without ';': the longest-prefix search never looks further.
constexpr int kLongestLegacyNamedReference = {longest_legacy};

// Hash table: FNV-1a from this offset basis, slot = top
// kNamedReferenceSlotBits bits of the hash, linear probing. Longest probe
// sequence {longest_probe}; {total_probes} extra probes over all names.
constexpr uint32_t kNamedReferenceHashSeed = {seed}u;
constexpr uint32_t kNamedReferenceHashPrime = {prime}u;
constexpr int kNamedReferenceSlotBits = {slot_bits};
"""


def fnv1a(data, seed):
    value = seed
    for byte in data:
        value ^= byte
        value = (value * FNV_PRIME) & 0xFFFFFFFF
    return value


def slot_of(hash_value):
    # The top bits of an FNV-1a hash mix every input byte; the low bits do not.
    return hash_value >> (32 - SLOT_BITS)


def build_slots(names, seed):
    """Returns (slots, longest probe, total probes) for one seed."""
    size = 1 << SLOT_BITS
    slots = [0] * size
    longest = 0
    total = 0
    for index, name in enumerate(names):
        slot = slot_of(fnv1a(name, seed))
        distance = 0
        while slots[slot]:
            slot = (slot + 1) & (size - 1)
            distance += 1
        slots[slot] = index + 1  # 0 marks an empty slot
        longest = max(longest, distance)
        total += distance
    return slots, longest, total


def c_bytes(data):
    # Every byte as \xNN: never ambiguous, since the next character is always
    # another backslash or the closing quote.
    return '"' + "".join("\\x%02x" % byte for byte in data) + '"'


def describe(text):
    return " ".join("U+%04X" % ord(character) for character in text)


def invalid_codepoints_rule():
    """The set the C++ predicate IsRemovedCodePoint() implements."""
    rule = set(range(0x1, 0x9)) | {0xB} | set(range(0xE, 0x20))
    rule |= set(range(0x7F, 0xA0)) | set(range(0xFDD0, 0xFDF0))
    for plane in range(17):
        rule |= {plane * 0x10000 + 0xFFFE, plane * 0x10000 + 0xFFFF}
    return rule


def main():
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    output_path = (sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        repo_root, "stages", "parse", "html_entities.inc"))

    html5 = html.entities.html5
    names = sorted(name.encode("ascii") for name in html5)
    legacy = [name for name in names if not name.endswith(b";")]

    # The C++ matcher relies on these facts: it scans only ASCII letters and
    # digits, at most 32 of them (Python's pattern stops there), and searches
    # prefixes only up to the longest legacy name.
    for name in names:
        body = name[:-1] if name.endswith(b";") else name
        assert body.isalnum() and body.isascii(), name
    longest_name = max(len(name) for name in names)
    longest_legacy = max(len(name) for name in legacy)
    assert longest_name <= 32, longest_name

    charrefs = html._invalid_charrefs  # pylint: disable=protected-access
    assert set(charrefs) == {0x00, 0x0D} | set(range(0x80, 0xA0)), charrefs
    assert charrefs[0x00] == "\ufffd" and charrefs[0x0D] == "\r"
    codepoints = html._invalid_codepoints  # pylint: disable=protected-access
    assert set(codepoints) == invalid_codepoints_rule(), (
        "html._invalid_codepoints changed: update IsRemovedCodePoint() in "
        "stages/parse/html_unescape.cc and invalid_codepoints_rule() here")

    best = None
    for seed in range(FNV_OFFSET_BASIS, FNV_OFFSET_BASIS + SEED_CANDIDATES):
        slots, longest, total = build_slots(names, seed)
        if best is None or (longest, total) < best[0]:
            best = ((longest, total), seed, slots)
    (longest_probe, total_probes), seed, slots = best

    pool = b"".join(names)
    assert len(pool) < 1 << 16, "name offsets are uint16_t"

    lines = [
        HEADER.format(python_version="%d.%d.%d" % sys.version_info[:3],
                      count=len(names),
                      legacy_count=len(legacy),
                      longest_name=longest_name,
                      longest_legacy=longest_legacy,
                      longest_probe=longest_probe,
                      total_probes=total_probes,
                      seed=seed,
                      prime=FNV_PRIME,
                      slot_bits=SLOT_BITS).rstrip("\n")
    ]
    emit = lines.append
    emit("")
    emit("// Every name, sorted bytewise and concatenated.")
    emit("constexpr char kNamedReferenceNames[] =")
    line = ""
    for name in names:
        piece = name.decode("ascii")
        if len(line) + len(piece) > 70:
            emit('    "%s"' % line)
            line = ""
        line += piece
    emit('    "%s";' % line)
    emit("")
    emit("// Sorted like kNamedReferenceNames: {name offset, name length,")
    emit("// replacement length, replacement as UTF-8}.")
    emit("constexpr NamedReference kNamedReferences[kNamedReferenceCount] = {")
    offset = 0
    for name in names:
        replacement = html5[name.decode("ascii")].encode("utf-8")
        assert len(replacement) <= REPLACEMENT_CAPACITY
        emit("    {%d, %d, %d, %s},  // %s %s" %
             (offset, len(name), len(replacement), c_bytes(replacement),
              name.decode("ascii"), describe(html5[name.decode("ascii")])))
        offset += len(name)
    emit("};")
    emit("")
    emit("// Index + 1 into kNamedReferences; 0 is an empty slot.")
    emit("constexpr uint16_t "
         "kNamedReferenceSlots[1 << kNamedReferenceSlotBits] = {")
    for start in range(0, len(slots), 16):
        row = slots[start:start + 16]
        emit("    " + ", ".join(str(slot) for slot in row) + ",")
    emit("};")
    emit("")
    emit("// &#x80; .. &#x9F;: what HTML5 substitutes for the C1 control code")
    emit("// points (the windows-1252 reading of those bytes; 81 8D 8F 90 9D")
    emit("// stay as they are).")
    emit("constexpr NumericReplacement kC1Replacements[0x20] = {")
    for code_point in range(0x80, 0xA0):
        replacement = charrefs[code_point].encode("utf-8")
        assert len(replacement) <= C1_REPLACEMENT_CAPACITY
        emit("    {%d, %s},  // 0x%02X -> %s" %
             (len(replacement), c_bytes(replacement), code_point,
              describe(charrefs[code_point])))
    emit("};")

    text = "\n".join(lines) + "\n"
    with open(output_path, "w", encoding="ascii", newline="\n") as output:
        output.write(text)
    print("wrote %s: %d names, seed %d, longest probe %d" %
          (output_path, len(names), seed, longest_probe), file=sys.stderr)


if __name__ == "__main__":
    main()
