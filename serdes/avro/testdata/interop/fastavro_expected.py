"""Writes fastavro-expected.json.gz: what fastavro reads from every .avro file
under apache/ and fastavro/ (or the error it raises), in a tagged JSON form
that TestInteropFiles compares with what sluice reads.

    python3 -m venv /tmp/fa && /tmp/fa/bin/pip install fastavro
    /tmp/fa/bin/python serdes/avro/testdata/interop/fastavro_expected.py

Tags: ints and strings as JSON; floats {"f": 16 hex digits of the
float64 bits}; bytes {"b": hex}; decimals {"d": plain text}; dates
{"date": days}; times {"time": µs}; timestamps {"ts": µs since the epoch};
local timestamps {"local": µs}; records and maps as objects (in order).
"""
import datetime
import decimal
import gzip
import json
import os
import struct
import sys
import uuid

import fastavro

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
US = datetime.timedelta(microseconds=1)


def tag(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return {"f": struct.pack(">d", v).hex()}
    if isinstance(v, (bytes, bytearray)):
        return {"b": bytes(v).hex()}
    if isinstance(v, decimal.Decimal):
        return {"d": format(v, "f")}
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            return {"local": (v - EPOCH.replace(tzinfo=None)) // US}
        return {"ts": (v - EPOCH) // US}
    if isinstance(v, datetime.date):
        return {"date": (v - datetime.date(1970, 1, 1)).days}
    if isinstance(v, datetime.time):
        return {"time": ((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond}
    if isinstance(v, dict):
        return {"o": [[k, tag(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return [tag(x) for x in v]
    raise TypeError("untagged %r" % type(v))


def main():
    out = {"fastavro": fastavro.__version__, "files": {}}
    for sub in ("apache", "fastavro"):
        for name in sorted(os.listdir(os.path.join(HERE, sub))):
            if name in ("LICENSE", "LICENSE.txt"):
                continue
            path = os.path.join(HERE, sub, name)
            key = sub + "/" + name
            try:
                with open(path, "rb") as f:
                    recs = [tag(r) for r in fastavro.reader(f)]
                out["files"][key] = {"records": recs}
            except Exception as e:  # fastavro refuses the file
                out["files"][key] = {"error": "%s: %s" % (type(e).__name__, e)}
    data = json.dumps(out, separators=(",", ":")).encode() + b"\n"
    with open(os.path.join(HERE, "fastavro-expected.json.gz"), "wb") as f:
        # mtime 0: the same input gives the same bytes.
        f.write(gzip.compress(data, mtime=0))


if __name__ == "__main__":
    sys.exit(main())
