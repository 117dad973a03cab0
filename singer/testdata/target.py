#!/usr/bin/env python3
"""A Singer target for sluice's tests (standard library only).

Reads Singer messages on stdin and writes each stream's records to
DESTINATION/STREAM.jsonl (appended across runs: at-least-once), or, with
"dedupe": true, keeps DESTINATION/STREAM.json as an object keyed by the
stream's key_properties (exactly-once by key). Like real targets it writes
the latest STATE value to stdout only after the records before it are
durably written: after every "flush_every" records and at the end.

Config keys:
  destination_path  folder for the files (required)
  flush_every       records between flushes (default 100)
  fail_after        exit 4 (after logging CRITICAL) on receiving this many
                    records, without flushing the ones since the last flush
                    (0 or absent: never)
  dedupe            see above
  discard           read and parse everything, write nothing (bench)
"""
import argparse
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    dest = config.get("destination_path", ".")
    flush_every = int(config.get("flush_every", 100))
    fail_after = int(config.get("fail_after") or 0)  # 0: never
    dedupe = bool(config.get("dedupe"))
    discard = bool(config.get("discard"))
    if not discard:
        os.makedirs(dest, exist_ok=True)

    keys = {}       # stream -> key_properties
    files = {}      # stream -> open file (append mode)
    tables = {}     # stream -> {key: record} (dedupe)
    buffered = {}   # stream -> [record] not yet written
    state = None
    received = 0
    since_flush = 0

    def table(stream):
        if stream not in tables:
            path = os.path.join(dest, stream + ".json")
            tables[stream] = {}
            if os.path.exists(path):
                with open(path) as f:
                    tables[stream] = json.load(f)
        return tables[stream]

    def flush():
        for stream, recs in buffered.items():
            if not recs or discard:
                continue
            if dedupe:
                t = table(stream)
                for r in recs:
                    t[json.dumps([r.get(k) for k in keys.get(stream, [])])] = r
                tmp = os.path.join(dest, stream + ".json.tmp")
                with open(tmp, "w") as f:
                    json.dump(t, f)
                os.replace(tmp, os.path.join(dest, stream + ".json"))
            else:
                if stream not in files:
                    files[stream] = open(os.path.join(dest, stream + ".jsonl"), "a")
                f = files[stream]
                for r in recs:
                    f.write(json.dumps(r) + "\n")
                f.flush()
        buffered.clear()
        if state is not None:
            sys.stdout.write(json.dumps(state) + "\n")
            sys.stdout.flush()

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        t = msg.get("type", "").upper()
        if t == "SCHEMA":
            keys[msg["stream"]] = msg.get("key_properties", [])
        elif t == "RECORD":
            received += 1
            if fail_after > 0 and received >= fail_after:
                sys.stderr.write("CRITICAL target giving up at record %d\n" % received)
                sys.stderr.flush()
                os._exit(4)
            buffered.setdefault(msg["stream"], []).append(msg["record"])
            since_flush += 1
            if since_flush >= flush_every:
                flush()
                since_flush = 0
        elif t == "STATE":
            state = msg["value"]
        else:
            sys.stderr.write("INFO ignoring %s message\n" % t)
    flush()
    for f in files.values():
        f.close()
    sys.stderr.write("INFO target done: %d records\n" % received)
    return 0


if __name__ == "__main__":
    sys.exit(main())
