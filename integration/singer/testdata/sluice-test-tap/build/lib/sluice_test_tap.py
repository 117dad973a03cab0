"""A tiny Singer tap (standard library only) for sluice's pipPackages test:
one stream of three records and a STATE, whatever the config."""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--state")
    ap.parse_args()
    out = sys.stdout
    out.write(json.dumps({"type": "SCHEMA", "stream": "s", "key_properties": ["id"],
                          "schema": {"properties": {"id": {"type": "integer"}}}}) + "\n")
    for i in (1, 2, 3):
        out.write(json.dumps({"type": "RECORD", "stream": "s", "record": {"id": i}}) + "\n")
    out.write(json.dumps({"type": "STATE", "value": {"installed": True}}) + "\n")
    sys.stderr.write("INFO installed tap ran from %s\n" % sys.prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
