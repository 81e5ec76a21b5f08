#!/usr/bin/env python3
"""Writes fingerprint.json: the training-data fingerprint of a small frame, computed here from the definition in
docs/FINGERPRINT.md (hashlib and struct only), for the Swift test to compare with.

Usage: python3 Tests/BatCatMLTests/Fixtures/make-fingerprint.py
"""
import hashlib
import json
import os
import struct

# The frame: (name, type, values as stored, missing mask or None). The Swift test builds the same columns.
FRAME = [
    ("bmi", "double", [21.5, 0.0, -3.25, 1e300], [False, True, False, False]),
    ("visits", "int", [3, -7, 0, 2**40], None),
    ("smoker", "bool", [True, False, False, True], None),
    ("city", "string", ["Lyon", "", "Zürich", "Lyon"], [False, True, False, False]),
    ("seen", "date", [0.0, 86400.5, -1.0, 1.7e9], None),
]


def canonical(frame):
    out = bytearray(b"batcat.frame/2\n")
    for name, kind, values, missing in frame:
        out += f"{name}\n{kind}\n".encode()
        out += struct.pack("<Q", len(values))
        if missing is None:
            out.append(0)
        else:
            out.append(1)
            out += bytes(1 if m else 0 for m in missing)
        for value in values:
            if kind in ("double", "date"):
                out += struct.pack("<d", value)
            elif kind == "int":
                out += struct.pack("<q", value)
            elif kind == "bool":
                out.append(1 if value else 0)
            else:
                text = value.encode("utf-8")
                out += struct.pack("<I", len(text)) + text
    return bytes(out)


def tree(data, chunk):
    lines = [f"batcat.tree/1 chunk={chunk} length={len(data)}\n"]
    for start in range(0, max(len(data), 1), chunk):
        lines.append("sha256:" + hashlib.sha256(data[start:start + chunk]).hexdigest() + "\n")
    return "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()


data = canonical(FRAME)
result = {
    "canonicalLength": len(data),
    "canonicalSha256": "sha256:" + hashlib.sha256(data).hexdigest(),
    "chunk16": tree(data, 16),
    "chunk4MiB": tree(data, 4 << 20),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fingerprint.json"), "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
