#!/usr/bin/python3
"""Independent check of fs_codec's output: python's avro (Debian
python3-avro 1.11.1) decodes what fs-codec-sample wrote.

For every record: the 2 magic bytes, the fingerprint (computed here from
python's canonical form of the writer schema in schemas/ and a bit-by-bit
CRC-64-AVRO), and every field through avro.io.DatumReader with the writer
schema and the v2 reader schema (v1 records must read ingest_source=None),
with no byte left over.  Needs no broker.

usage: avro_readback.py FS_CODEC_SAMPLE SOURCE_DIR OUT.bin
"""
import datetime
import io
import json
import math
import os
import struct
import subprocess
import sys

import avro.io
import avro.schema

EMPTY = 0xC15D213AA4D7A795
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def crc64_avro(data):
    fp = EMPTY
    for byte in data:
        fp ^= byte
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY if fp & 1 else 0)
    return fp


def strip_logical(node):
    # python-avro 1.11.1 keeps {"type":"long"} for primitives with attributes
    # (logical types) in the canonical form, against the spec (see
    # tests/unit/check_schema_python.py).
    if isinstance(node, list):
        return [strip_logical(n) for n in node]
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] in PRIMITIVES and "name" not in node:
            return node["type"]
        return {k: strip_logical(v) for k, v in node.items()}
    return node


def load(src, name):
    with open(os.path.join(src, "schemas", name), encoding="utf-8") as f:
        text = f.read()
    schema = avro.schema.parse(text)
    canon = avro.schema.parse(json.dumps(strip_logical(json.loads(text)))).canonical_form
    return schema, crc64_avro(canon.encode("utf-8"))


def main():
    tool, src, out = sys.argv[1:4]
    lines = subprocess.run([tool, out], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    expected = [json.loads(line) for line in lines]
    schemas = {n: load(src, n) for n in ("journey_event.v1.avsc", "journey_event.v2.avsc")}
    reader_schema = schemas["journey_event.v2.avsc"][0]
    with open(out, "rb") as f:
        blob = f.read()
    pos = failed = passed = 0
    for want in expected:
        (n,) = struct.unpack(">I", blob[pos:pos + 4])
        rec = blob[pos + 4:pos + 4 + n]
        pos += 4 + n
        wschema, wfp = schemas[want["writer"]]
        assert rec[:2] == b"\xc3\x01", rec[:2]
        (fp,) = struct.unpack("<Q", rec[2:10])
        ev = want["event"]
        errors = []
        if fp != wfp:
            errors.append(f"fingerprint {fp:016x}, python says {wfp:016x}")
        body = io.BytesIO(rec[10:])
        got = avro.io.DatumReader(wschema, reader_schema).read(avro.io.BinaryDecoder(body))
        if body.tell() != len(rec) - 10:
            errors.append(f"{len(rec) - 10 - body.tell()} bytes left after the record")
        if want["writer"] == "journey_event.v1.avsc":
            ev["ingest_source"] = None  # v1 has no such field: reader default
        for key, value in ev.items():
            g = got.get(key, "<missing>")
            if isinstance(g, datetime.datetime):  # timestamp-millis logical type
                g = (g - EPOCH) // datetime.timedelta(milliseconds=1)
            same = g == value
            if key == "properties":
                same = set(g) == set(value) and all(
                    type(g[k]) is type(value[k]) and (g[k] == value[k] or (
                        isinstance(value[k], float) and math.isclose(g[k], value[k])))
                    for k in value)
            if not same:
                errors.append(f"{key}: got {g!r}, wanted {value!r}")
        if set(got) != set(ev):
            errors.append(f"fields {sorted(set(got) ^ set(ev))} differ")
        if errors:
            failed += 1
            print(f"FAIL {ev['event_id']}: " + "; ".join(errors))
        else:
            passed += 1
            print(f"ok   {ev['event_id']} ({want['writer']}, {n} bytes)")
    if pos != len(blob) or len(expected) < 12:
        print(f"FAIL: {len(blob) - pos} unread bytes, {len(expected)} records")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
