#!/usr/bin/env python3
"""Python oracle for tests/stages/parse/html_unescape_test.cc.

FORMAT.md §1.2 defines content_hash with Python's html.unescape() and
str.strip(), so Python itself is the reference the C++ code is compared with.

Usage:
    html_unescape_oracle.py names OUTPUT
        writes every key of html.entities.html5, one record each.
    html_unescape_oracle.py apply INPUT OUTPUT
        for each record of INPUT (UTF-8 text) writes three records:
        html.unescape(text), text.strip(), then " ".join(text.split())
        (FORMAT.md §1.1's folding: whitespace runs become one space, then
        the value is trimmed).

A record is the byte length in ASCII decimal, '\\n', then that many bytes, so
any content (NUL, newlines, digits) survives the round trip.
"""

import html
import html.entities
import sys


def read_records(data):
    records = []
    position = 0
    while position < len(data):
        newline = data.index(b"\n", position)
        length = int(data[position:newline])
        start = newline + 1
        records.append(data[start:start + length])
        position = start + length
        if position > len(data):
            raise ValueError("truncated record at byte %d" % start)
    return records


def write_records(path, records):
    with open(path, "wb") as output:
        for record in records:
            output.write(b"%d\n" % len(record))
            output.write(record)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "names":
        write_records(sys.argv[2],
                      [name.encode("ascii") for name in html.entities.html5])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "apply":
        with open(sys.argv[2], "rb") as source:
            inputs = read_records(source.read())
        results = []
        for raw in inputs:
            text = raw.decode("utf-8")  # strict: the test sends valid UTF-8
            results.append(html.unescape(text).encode("utf-8"))
            results.append(text.strip().encode("utf-8"))
            results.append(" ".join(text.split()).encode("utf-8"))
        write_records(sys.argv[3], results)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
