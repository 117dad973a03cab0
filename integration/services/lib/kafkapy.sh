# shellcheck shell=bash
# The Python confluent-kafka client (with its AVRO, JSON Schema and Protobuf
# serializers) in a virtualenv of its own under $SLUICE_CACHE/kafka-python,
# built like the Singer ones (singer.sh's interpreter lookup and stamp idea):
# integration/kafka reads what sluice writes with it, and writes what sluice
# reads.

KAFKAPY_HOME=$SLUICE_CACHE/kafka-python
KAFKAPY_REQ=$SERVICES_DIR/kafka/python.txt

kafkapy_packages() {
	command -v python3 >/dev/null 2>&1 || echo python3 python3-venv
}

kafkapy_stamp() {
	{
		cat "$KAFKAPY_REQ"
		"$KAFKAPY_HOME/bin/python" -c 'import sys; print(sys.version)'
	} | sha256sum | cut -d' ' -f1
}

kafkapy_ready() {
	[[ -x $KAFKAPY_HOME/bin/python && -f $KAFKAPY_HOME/.sluice-stamp && $(cat "$KAFKAPY_HOME/.sluice-stamp") == "$(kafkapy_stamp 2>/dev/null)" ]]
}

# kafkapy_check: the serializers import (each needs its extra's packages).
kafkapy_check() {
	"$KAFKAPY_HOME/bin/python" -c '
from confluent_kafka import Producer, Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer, AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer, JSONDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer, ProtobufDeserializer
print("confluent-kafka ok")'
}

kafkapy_up() {
	if kafkapy_ready; then
		log "kafka-python: ready in $KAFKAPY_HOME"
		return 0
	fi
	local py
	py=$(singer_python) || { fail "kafka-python: no python3 with venv and ensurepip found (set SLUICE_PYTHON)"; return 1; }
	log "kafka-python: installing confluent-kafka into $KAFKAPY_HOME"
	mkdir -p "$SLUICE_CACHE/logs"
	rm -rf "$KAFKAPY_HOME"
	run_logged "$SLUICE_CACHE/logs/kafka-python.log" bash -c '
		set -e
		"$1" -m venv "$2"
		"$2/bin/python" -m pip install --disable-pip-version-check -q -r "$3"
	' _ "$py" "$KAFKAPY_HOME" "$KAFKAPY_REQ" </dev/null || {
		fail "kafka-python: pip install failed (log: $SLUICE_CACHE/logs/kafka-python.log)"
		return 1
	}
	run_logged "$SLUICE_CACHE/logs/kafka-python.check.log" kafkapy_check || {
		fail "kafka-python: the serializers do not import (log: $SLUICE_CACHE/logs/kafka-python.check.log)"
		return 1
	}
	kafkapy_stamp >"$KAFKAPY_HOME/.sluice-stamp"
	log "kafka-python: ready in $KAFKAPY_HOME"
}

kafkapy_env() {
	emit SLUICE_TEST_KAFKA_PYTHON "$KAFKAPY_HOME/bin/python"
}

kafkapy_down() { :; }
