#!/usr/bin/env python3
"""A CSV Singer target for sluice's tests and examples (standard library
only), configured like target-csv: destination_path, delimiter, quotechar.
Each stream goes to DESTINATION/STREAM-TIMESTAMP.csv with a header row; the
last STATE value is written to stdout at the end, once the files are
complete. Nested values (objects, arrays) are written as JSON."""
import argparse
import csv
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    dest = config.get("destination_path", ".")
    os.makedirs(dest, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    writers, files, state = {}, {}, None
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        t = msg.get("type", "").upper()
        if t == "SCHEMA":
            stream = msg["stream"]
            if stream in writers:
                continue
            cols = list(msg["schema"].get("properties", {}))
            f = open(os.path.join(dest, "%s-%s.csv" % (stream, stamp)), "w", newline="")
            w = csv.DictWriter(f, fieldnames=cols, delimiter=config.get("delimiter", ","),
                               quotechar=config.get("quotechar", '"'), extrasaction="ignore")
            w.writeheader()
            writers[stream], files[stream] = w, f
        elif t == "RECORD":
            rec = msg["record"]
            row = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in rec.items()}
            writers[msg["stream"]].writerow(row)
        elif t == "STATE":
            state = msg["value"]
    for f in files.values():
        f.close()
    if state is not None:
        sys.stdout.write(json.dumps(state) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
