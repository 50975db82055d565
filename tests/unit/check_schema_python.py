#!/usr/bin/python3
"""Live referee for fs_schema.c: compares our Parsing Canonical Form and
CRC-64-AVRO fingerprint of every schemas/*.avsc and tests/unit/schemas/*.avsc
with Debian's python3-avro 1.11.1 (canonical form) and a bit-by-bit CRC-64
written here from the Avro specification (python-avro 1.11.1 has no
fingerprint function).

python-avro 1.11.1 deviates from the specification (and from Java's
SchemaNormalization, the reference) in three ways; each is neutralised
narrowly so the comparison stays meaningful:
  1. a primitive in object form with any other attribute (logicalType,
     avro.java.string) stays an object ({"type":"long"}) instead of the
     simple form "long": such objects are handed to python in simple form
     (PRIMITIVES + STRIP for them is covered by test_schema.c and Java);
  2. a reference to an already defined fixed type is expanded again;
  3. an explicit empty namespace ("namespace": "") is treated as absent.
Schemas that hit 2 or 3 are listed in PYTHON_BUGS: for them only the
fingerprint of our canonical form is checked against the independent CRC,
and their canonical text is pinned from Java in test_schema.c and checked
live by check_schema_java.sh.

usage: check_schema_python.py FS_SCHEMA_TOOL SOURCE_DIR
"""
import glob
import json
import os
import subprocess
import sys

import avro.schema

EMPTY = 0xC15D213AA4D7A795
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
PYTHON_BUGS = {
    "nested_namespaces.avsc": "fixed reference re-expanded; explicit empty namespace",
    "union_top.avsc": "fixed reference re-expanded",
}


def crc64_avro(data: bytes) -> int:
    """The specification's algorithm, bit by bit (no table)."""
    fp = EMPTY
    for byte in data:
        fp ^= byte
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY if fp & 1 else 0)
    return fp


def strip_logical(node):
    if isinstance(node, list):
        return [strip_logical(n) for n in node]
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] in PRIMITIVES and "name" not in node:
            return node["type"]
        return {k: strip_logical(v) for k, v in node.items()}
    return node


def main():
    tool, src = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(src, "schemas", "*.avsc")))
    files += sorted(glob.glob(os.path.join(src, "tests", "unit", "schemas", "*.avsc")))
    assert len(files) >= 10, files
    failed = checked = 0
    for path in files:
        name = os.path.basename(path)
        ours = subprocess.run([tool, "canonical", path], check=True, capture_output=True,
                              text=True).stdout.rstrip("\n")
        our_fp = subprocess.run([tool, "fingerprint", path], check=True, capture_output=True,
                                text=True).stdout.split()[0]
        want_fp = "%016x" % crc64_avro(ours.encode("utf-8"))
        if our_fp != want_fp:
            print(f"FAIL {name}: fingerprint ours {our_fp} python-crc {want_fp}")
            failed += 1
            continue
        if name in PYTHON_BUGS:
            print(f"ok   {name}: fingerprint (canonical text: python bug, {PYTHON_BUGS[name]})")
            checked += 1
            continue
        with open(path, encoding="utf-8") as f:
            theirs = avro.schema.parse(json.dumps(strip_logical(json.load(f)))).canonical_form
        if ours != theirs:
            print(f"FAIL {name}:\n  ours   {ours}\n  python {theirs}")
            failed += 1
        else:
            print(f"ok   {name}: {our_fp}")
            checked += 1
    print(f"{checked} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
