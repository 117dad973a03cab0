"""An outside client for sluice's Kafka integration tests.

Reads and writes records with Confluent's Python client and its schema
registry serializers (AVRO, JSON Schema, Protobuf), so that the tests check
sluice against an implementation that is not sluice's:

  consume --format F --topic T --count N   prints one JSON line per record
  produce --format F --topic T --input F   sends the JSON lines of a file

Values cross as JSON with tagged leaves: {"$decimal": "12.50"},
{"$timestamp": "2024-01-02T03:04:05.123456+00:00"}, {"$bytes": "base64"}.
Protobuf messages are built from a FileDescriptorSet (--descriptor, --message)
and cross in Protobuf's JSON mapping.
"""

import argparse
import base64
import datetime
import decimal
import json
import sys
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import MessageField, SerializationContext


def tag(v):
    if isinstance(v, dict):
        return {k: tag(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [tag(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return {"$decimal": str(v)}
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return {"$timestamp": v.isoformat()}
    if isinstance(v, datetime.date):
        return {"$date": v.isoformat()}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(v).decode()}
    return v


def untag(v):
    if isinstance(v, list):
        return [untag(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k == "$decimal":
                return decimal.Decimal(x)
            if k == "$timestamp":
                return datetime.datetime.fromisoformat(x)
            if k == "$date":
                return datetime.date.fromisoformat(x)
            if k == "$bytes":
                return base64.b64decode(x)
        return {k: untag(x) for k, x in v.items()}
    return v


def proto_class(path, name):
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    # The well-known types register themselves in the default pool.
    from google.protobuf import duration_pb2, timestamp_pb2, wrappers_pb2  # noqa: F401

    pool = descriptor_pool.Default()
    with open(path, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    for fd in fds.file:
        try:
            pool.FindFileByName(fd.name)
        except KeyError:
            pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


def serde(args, sr):
    if args.format == "AVRO":
        from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
        if args.mode == "consume":
            return AvroDeserializer(sr)
        return AvroSerializer(sr, open(args.schema).read(), lambda obj, ctx: untag(obj))
    if args.format == "JSON_SCHEMA":
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
        if args.mode == "consume":
            # Without a schema of its own it uses the writer's, by ID.
            return JSONDeserializer(None, schema_registry_client=sr)
        return JSONSerializer(open(args.schema).read(), sr, lambda obj, ctx: untag(obj))
    if args.format == "PROTOBUF":
        from google.protobuf import json_format
        from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
        cls = proto_class(args.descriptor, args.message)
        if args.mode == "consume":
            return ProtobufDeserializer(cls, {"use.deprecated.format": False})
        ser = ProtobufSerializer(cls, sr, {"use.deprecated.format": False})
        return lambda obj, ctx: ser(json_format.ParseDict(obj, cls()), ctx)
    raise SystemExit("unknown format " + args.format)


def consume(args, sr):
    de = serde(args, sr)
    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "outside-" + uuid.uuid4().hex,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": "read_committed"})
    c.subscribe([args.topic])
    got = 0
    idle = 0
    try:
        while got < args.count:
            m = c.poll(1.0)
            if m is None:
                idle += 1
                if idle > args.timeout:
                    raise SystemExit(f"read {got} of {args.count} records from {args.topic}")
                continue
            if m.error():
                raise SystemExit(str(m.error()))
            v = de(m.value(), SerializationContext(m.topic(), MessageField.VALUE))
            if args.format == "PROTOBUF":
                from google.protobuf import json_format
                v = json_format.MessageToDict(v, preserving_proto_field_name=True)
            key = m.key().decode() if m.key() is not None else None
            print(json.dumps({"key": key, "value": tag(v)}, sort_keys=True), flush=True)
            got += 1
    finally:
        c.close()


def produce(args, sr):
    ser = serde(args, sr)
    p = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True})
    errors = []
    with open(args.input) as f:
        for line in f:
            rec = json.loads(line)
            value = ser(rec["value"], SerializationContext(args.topic, MessageField.VALUE))
            p.produce(args.topic, key=rec["key"].encode(), value=value,
                      on_delivery=lambda err, msg: err and errors.append(err))
    p.flush(60)
    if errors:
        raise SystemExit("delivery failed: %s" % errors[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["consume", "produce"])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--registry", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--format", required=True)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--timeout", type=int, default=60, help="seconds without a record before giving up")
    ap.add_argument("--input")
    ap.add_argument("--schema", help="AVRO or JSON schema file (produce)")
    ap.add_argument("--descriptor", help="FileDescriptorSet file (PROTOBUF)")
    ap.add_argument("--message", help="full message name (PROTOBUF)")
    args = ap.parse_args()
    sr = SchemaRegistryClient({"url": args.registry})
    if args.mode == "consume":
        consume(args, sr)
    else:
        produce(args, sr)


if __name__ == "__main__":
    sys.exit(main())
