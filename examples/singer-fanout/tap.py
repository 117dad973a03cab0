#!/usr/bin/env python3
"""A Singer tap for sluice's tests (standard library only), following the
Singer specification: --config, --state, --catalog/--properties, --discover.

Two streams with deterministic records derived from their id:
  users:  id, name, email (nullable), created_at (date-time), birthday (date),
          wake_up (time), balance (multipleOf 0.01), active, tags (array),
          address (object, nullable)
  orders: id, user_id, amount (multipleOf 0.0001), ordered_at (date-time),
          note (nullable)

INCREMENTAL streams resume after the bookmark {"bookmarks": {STREAM:
{"replication_key": "id", "replication_key_value": N}}}; FULL_TABLE streams
always start at 1. Config keys (all optional):
  records          records per stream (default 10)
  streams          list of stream names to emit (default both; the catalog's
                   selection applies on top)
  state_every      emit STATE every N records of a stream (default 5)
  fail_after       write to stderr and exit 3 after N records in all
  big_line_bytes   make the name of user 1 this long (1 MB+ lines)
  invalid_utf8     write a line with invalid UTF-8 after the first record
  unknown_messages write an unknown message type and ACTIVATE_VERSION
  fast             bench mode: fixed-shape records formatted without json.dumps
  batch_dir        write the orders as one gzip JSON-lines file there and send a
                   BATCH message (Meltano SDK style) instead of RECORD messages
"""
import argparse
import datetime
import gzip
import os
import json
import sys

USERS_SCHEMA = {
    "type": ["null", "object"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": ["integer"]},
        "name": {"type": ["null", "string"]},
        "email": {"type": ["null", "string"]},
        "created_at": {"type": ["null", "string"], "format": "date-time"},
        "birthday": {"type": ["null", "string"], "format": "date"},
        "wake_up": {"type": ["null", "string"], "format": "time"},
        "balance": {"type": ["null", "number"], "multipleOf": 0.01},
        "active": {"type": ["null", "boolean"]},
        "tags": {"type": ["null", "array"], "items": {"type": "string"}},
        "address": {
            "type": ["null", "object"],
            "properties": {"city": {"type": "string"}, "zip": {"type": ["null", "string"]}},
        },
    },
}
ORDERS_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "user_id": {"type": "integer"},
        "amount": {"type": "number", "multipleOf": 0.0001},
        "ordered_at": {"type": "string", "format": "date-time"},
        "note": {"anyOf": [{"type": "null"}, {"type": "string"}]},
    },
    "required": ["id", "user_id", "amount", "ordered_at"],
}
STREAMS = {"users": USERS_SCHEMA, "orders": ORDERS_SCHEMA}
EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


def log(level, msg):
    sys.stderr.write("%s %s\n" % (level, msg))
    sys.stderr.flush()


def user(i, big):
    name = "user %d" % i
    if big and i == 1:
        name = "x" * big
    return {
        "id": i,
        "name": name,
        "email": None if i % 3 == 0 else "u%d@example.com" % i,
        "created_at": (EPOCH + datetime.timedelta(seconds=i * 3607, microseconds=i % 1000000)).isoformat().replace("+00:00", "Z"),
        "birthday": (datetime.date(1970, 1, 1) + datetime.timedelta(days=(i * 37) % 40000)).isoformat(),
        "wake_up": "%02d:%02d:%02d.%06d" % (i % 24, i % 60, (i * 7) % 60, i % 1000000),
        "balance": "%d.%02d" % (i * 3, i % 100),
        "active": i % 2 == 0,
        "tags": ["t%d" % (i % 5), "all"],
        "address": None if i % 4 == 0 else {"city": "City %d" % (i % 10), "zip": None if i % 5 == 0 else "%05d" % i},
    }


def order(i):
    return {
        "id": i,
        "user_id": (i % 50) + 1,
        "amount": "%d.%04d" % (i % 1000, (i * 31) % 10000),
        "ordered_at": (EPOCH + datetime.timedelta(minutes=i)).isoformat(),
        "note": None if i % 2 else "note %d" % i,
    }


def catalog():
    streams = []
    for name, schema in STREAMS.items():
        md = [{"breadcrumb": [], "metadata": {
            "inclusion": "available", "selected-by-default": True,
            "table-key-properties": ["id"], "valid-replication-keys": ["id"],
            "schema-name": name}}]
        for prop in schema["properties"]:
            md.append({"breadcrumb": ["properties", prop], "metadata": {
                "inclusion": "automatic" if prop == "id" else "available",
                "selected-by-default": True}})
        streams.append({"tap_stream_id": name, "stream": name, "table_name": name,
                        "key_properties": ["id"], "schema": schema, "metadata": md})
    return {"streams": streams}


def selection(cat):
    """stream -> (fields, replication method) from catalog metadata."""
    out = {}
    for s in cat.get("streams", []):
        md = {tuple(m.get("breadcrumb", [])): m.get("metadata", {}) for m in s.get("metadata", [])}
        top = md.get((), {})
        if not top.get("selected", top.get("selected-by-default", False)):
            continue
        fields = []
        for prop in s["schema"].get("properties", {}):
            m = md.get(("properties", prop), {})
            if m.get("inclusion") == "automatic" or m.get("selected", m.get("selected-by-default", True)):
                fields.append(prop)
        out[s["stream"]] = (fields, top.get("replication-method", "FULL_TABLE"))
    return out


def fast_user(i):
    return ('{"type":"RECORD","stream":"users","record":{"id":%d,"name":"user %d","email":"u%d@example.com",'
            '"created_at":"2020-01-01T00:00:00.%06dZ","birthday":"1999-12-31","wake_up":"07:30:00",'
            '"balance":%d.%02d,"active":true,"tags":["a","b"],"address":{"city":"Paris","zip":"75001"}}}\n'
            % (i, i, i, i % 1000000, i, i % 100))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--state")
    ap.add_argument("--catalog")
    ap.add_argument("--properties")
    ap.add_argument("--discover", action="store_true")
    args = ap.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    if args.discover:
        log("INFO", "discovering streams")
        json.dump(catalog(), sys.stdout, indent=2)
        return 0

    n = int(config.get("records", 10))
    every = int(config.get("state_every", 5))
    fail_after = config.get("fail_after")
    big = int(config.get("big_line_bytes", 0))
    wanted = config.get("streams", list(STREAMS))
    cat_path = args.catalog or args.properties
    if cat_path:
        with open(cat_path) as f:
            sel = selection(json.load(f))
    else:
        sel = {s: (list(STREAMS[s]["properties"]), "INCREMENTAL") for s in STREAMS}
    sel = {s: v for s, v in sel.items() if s in wanted}
    state = {"bookmarks": {}}
    if args.state:
        with open(args.state) as f:
            state = json.load(f) or {"bookmarks": {}}
        state.setdefault("bookmarks", {})
    log("INFO", "starting sync of %s with state %s" % (sorted(sel), json.dumps(state, sort_keys=True)))
    out = sys.stdout
    w = out.write
    emitted = 0

    def emit_state():
        w(json.dumps({"type": "STATE", "value": state}) + "\n")

    for name in ("users", "orders"):
        if name not in sel:
            continue
        fields, method = sel[name]
        schema = dict(STREAMS[name])
        schema["properties"] = {k: v for k, v in schema["properties"].items() if k in fields}
        w(json.dumps({"type": "SCHEMA", "stream": name, "schema": schema, "key_properties": ["id"],
                      "bookmark_properties": ["id"]}) + "\n")
        if config.get("unknown_messages"):
            w(json.dumps({"type": "ACTIVATE_VERSION", "stream": name, "version": 1}) + "\n")
            w(json.dumps({"type": "SURPRISE", "stream": name, "note": "not in the spec"}) + "\n")
        start = 1
        bm = state["bookmarks"].get(name)
        if method == "INCREMENTAL" and bm:
            start = int(bm["replication_key_value"]) + 1
        if name == "orders" and config.get("batch_dir"):
            path = os.path.join(config["batch_dir"], "orders-%d.jsonl.gz" % start)
            with gzip.open(path, "wt") as f:
                for i in range(start, n + 1):
                    rec = {k: v for k, v in order(i).items() if k in fields}
                    rec["amount"] = float(rec["amount"]) if "amount" in rec else None
                    f.write(json.dumps(rec) + "\n")
            w(json.dumps({"type": "BATCH", "stream": name, "encoding": {"format": "jsonl", "compression": "gzip"},
                          "manifest": ["file://" + os.path.abspath(path)]}) + "\n")
            if method == "INCREMENTAL":
                state["bookmarks"][name] = {"replication_key": "id", "replication_key_value": max(n, start - 1)}
            emit_state()
            continue
        for i in range(start, n + 1):
            if config.get("fast") and name == "users":
                w(fast_user(i))
            else:
                rec = user(i, big) if name == "users" else order(i)
                rec = {k: v for k, v in rec.items() if k in fields}
                line = json.dumps({"type": "RECORD", "stream": name, "record": rec})
                # Decimals are written as JSON numbers, exactly as formatted.
                for k in ("balance", "amount"):
                    if k in rec:
                        line = line.replace('"%s": "%s"' % (k, rec[k]), '"%s": %s' % (k, rec[k]))
                w(line + "\n")
            emitted += 1
            if config.get("invalid_utf8") and emitted == 1:
                out.flush()
                sys.stdout.buffer.write(b'{"type":"RECORD","stream":"users","record":{"name":"\xff\xfe"}}\n')
                sys.stdout.buffer.flush()
            if fail_after is not None and emitted >= int(fail_after):
                out.flush()
                log("INFO", "about to fail")
                log("CRITICAL", "source connection lost after %d records" % emitted)
                return 3
            if method == "INCREMENTAL":
                state["bookmarks"][name] = {"replication_key": "id", "replication_key_value": i}
            if i % every == 0:
                emit_state()
        if method == "INCREMENTAL":
            state["bookmarks"][name] = {"replication_key": "id", "replication_key_value": max(n, start - 1)}
        emit_state()
    out.flush()
    log("INFO", "sync done: %d records" % emitted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
