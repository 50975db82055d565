#!/usr/bin/python3
"""Randomized referee for common/attrib/fs_attrib.c: runs attrib_cases (random
journeys with fs_attrib's selection and credits as JSON lines) and
recomputes every case with the independent Python oracle
tests/integration/attrib_oracle.py (docs/attribution.md written in Python, Fractions
for the exact models).

Requires, for every case:
  - the same selected touches, in the same order;
  - exact models: credits identical to the oracle's;
  - time_decay: each credit within 1 unit of the oracle's (C uses long
    double, the oracle binary64 floats);
  - all models: revenue credits summing exactly to the revenue and
    conversion credits to 1,000,000, none negative;
and that the random journeys really reached the edges (ties, lookback
edge, more than 100 touches, "(direct)" cases...), so the check cannot
pass vacuously.

usage: check_attrib_python.py ATTRIB_CASES [COUNT [SEED]]
       (FS_SOURCE_DIR, set by ctest, locates the oracle; default: ../..)
"""
import json
import os
import subprocess
import sys

SOURCE_DIR = os.environ.get(
    "FS_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))

import attrib_oracle as oracle  # noqa: E402


def fail(case, msg):
    sys.stderr.write(f"MISMATCH: {msg}\ncase: {json.dumps(case)}\n")
    sys.exit(1)


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    args = [sys.argv[1]] + sys.argv[2:4]
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE).stdout.decode()
    seen = {"cases": 0, "direct": 0, "capped": 0, "edge_in": 0, "edge_out": 0,
            "after_t": 0, "time_tie": 0, "zero_revenue": 0, "remainder_units": 0,
            "w_shaped_multi_key": 0}
    for line in out.splitlines():
        case = json.loads(line)
        seen["cases"] += 1
        model, touches = case["model"], case["touches"]
        conv_ms, lookback = case["conv_ms"], case["lookback_ms"]
        half_life, revenue = case["half_life_ms"], case["revenue"]

        idx = oracle.select(touches, conv_ms, lookback)
        if idx != case["c_selected"]:
            fail(case, f"selection: oracle {idx}")
        sel = [touches[i] for i in idx]
        for total, key in ((revenue, "c_revenue"), (oracle.CONVERSION_UNITS, "c_conversions")):
            want = oracle.credits(model, sel, conv_ms, half_life, total)
            got = case[key]
            if len(got) != len(want):
                fail(case, f"{key}: {len(got)} credits, oracle {len(want)}")
            if sel and sum(got) != total:
                fail(case, f"{key}: credits sum to {sum(got)}, not {total}")
            if any(c < 0 for c in got):
                fail(case, f"{key}: negative credit")
            if model == "time_decay":
                if any(abs(g - w) > 1 for g, w in zip(got, want)):
                    fail(case, f"{key}: oracle {want} (more than 1 unit apart)")
            elif got != want:
                fail(case, f"{key}: oracle {want}")
            # leftover units were handed out (largest remainder exercised)
            w = oracle.weights(model, sel, conv_ms, half_life) if sel else []
            if model != "time_decay" and any((total * x).denominator != 1 for x in w):
                seen["remainder_units"] += 1

        if not sel:
            seen["direct"] += 1
        if sum(1 for t in touches if conv_ms - lookback <= t["occurred_at"] <= conv_ms) > 100:
            seen["capped"] += 1
        if any(t["occurred_at"] == conv_ms - lookback for t in sel):
            seen["edge_in"] += 1
        if any(t["occurred_at"] == conv_ms - lookback - 1 for t in touches):
            seen["edge_out"] += 1
        if any(t["occurred_at"] == conv_ms + 1 for t in touches):
            seen["after_t"] += 1
        if len({t["occurred_at"] for t in sel}) < len(sel):
            seen["time_tie"] += 1
        if revenue == 0 and sel:
            seen["zero_revenue"] += 1
        if model == "w_shaped" and any(t["lead"] or t["opportunity"] for t in sel[1:]):
            seen["w_shaped_multi_key"] += 1

    missing = [k for k, v in seen.items() if v == 0]
    if missing:
        sys.stderr.write(f"random journeys never reached: {', '.join(missing)}\n")
        return 1
    print("attrib: C and Python oracle agree; " +
          ", ".join(f"{k} {v}" for k, v in seen.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
