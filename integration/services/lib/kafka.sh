# shellcheck shell=bash
# Apache Kafka in KRaft mode (one node, controller and broker) on 127.0.0.1:9092.
# The jars come from Maven Central through Maven, not from a download site.

KAFKA_VERSION=${SLUICE_KAFKA_VERSION:-4.4.0}
KAFKA_PORT=${SLUICE_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${SLUICE_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HOME=$SLUICE_CACHE/kafka-$KAFKA_VERSION
KAFKA_DIR=$SLUICE_SERVICES_DIR/kafka
KAFKA_PIDFILE=$KAFKA_DIR/kafka.pid

# kcat is how up (and tests) talk to the broker without a JVM.
kafka_packages() {
	echo kafkacat
	command -v mvn >/dev/null 2>&1 || echo maven
	java17 >/dev/null 2>&1 || echo openjdk-17-jre-headless
}

kcat_bin() {
	command -v kcat 2>/dev/null || command -v kafkacat 2>/dev/null
}

kafka_ok() {
	local kcat
	port_open "$KAFKA_PORT" || return 1
	kcat=$(kcat_bin) || return 1
	# -L lists metadata; the broker lists itself once it has joined the quorum.
	"$kcat" -b "127.0.0.1:$KAFKA_PORT" -L -m 5 2>/dev/null | grep -q ' 1 brokers:'
}

# kafka_fetch: resolves the broker's classpath into $KAFKA_HOME/libs once.
kafka_fetch() {
	[[ -f $KAFKA_HOME/libs/.complete ]] && return 0
	# Already tried (and reported) by up's background download.
	if [[ -n ${TMP:-} && -e $TMP/kafka.fetch-failed ]]; then
		fail "kafka: no broker jars (see the Maven error above)"
		return 1
	fi
	command -v mvn >/dev/null 2>&1 || { fail "kafka: mvn not found (package maven)"; return 1; }
	log "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central"
	rm -rf "$KAFKA_HOME/libs.tmp"
	mkdir -p "$KAFKA_HOME"
	run_logged "$KAFKA_HOME/mvn.log" mvn -B -ntp -f "$SERVICES_DIR/kafka/pom.xml" \
		-Dmaven.repo.local="$MAVEN_REPO" -Dkafka.version="$KAFKA_VERSION" \
		"$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" -DincludeScope=runtime \
		-DoutputDirectory="$KAFKA_HOME/libs.tmp" -Dstyle.color=never </dev/null || {
		[[ -n ${TMP:-} ]] && touch "$TMP/kafka.fetch-failed"
		fail "kafka: Maven could not resolve the broker"
		return 1
	}
	rm -rf "$KAFKA_HOME/libs"
	mv "$KAFKA_HOME/libs.tmp" "$KAFKA_HOME/libs"
	touch "$KAFKA_HOME/libs/.complete"
}

kafka_write_config() {
	mkdir -p "$KAFKA_DIR/logs"
	cat >"$KAFKA_DIR/server.properties" <<CONF
# Written by integration/services/up; rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
auto.create.topics.enable=true
delete.topic.enable=true
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
CONF
	cat >"$KAFKA_DIR/log4j2.properties" <<'CONF'
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.kafkaController.name = org.apache.kafka.controller
logger.kafkaController.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
CONF
}

kafka_up() {
	if kafka_ok; then
		if pid_alive "$KAFKA_PIDFILE" kafka.Kafka; then
			log "kafka: already running on 127.0.0.1:$KAFKA_PORT"
		else
			log "kafka: a broker not started by up answers on 127.0.0.1:$KAFKA_PORT; using it"
		fi
		return 0
	fi
	kcat_bin >/dev/null || { fail "kafka: kcat not found (package kafkacat)"; return 1; }
	if ! pid_alive "$KAFKA_PIDFILE" kafka.Kafka && { port_open "$KAFKA_PORT" || port_open "$KAFKA_CONTROLLER_PORT"; }; then
		fail "kafka: port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by a process that is not a working broker"
		return 1
	fi
	local java
	java=$(java17) || { fail "kafka: no Java 17 or newer found (set SLUICE_JAVA)"; return 1; }
	kafka_fetch || return 1
	if pid_alive "$KAFKA_PIDFILE" kafka.Kafka; then
		# Started by an earlier up and still starting (or hung): give it time
		# before deciding it is broken.
		if wait_until 60 "kafka started earlier" kafka_ok; then
			log "kafka: up"
			return 0
		fi
		log "kafka: running but not answering; restarting it"
		stop_pid kafka "$KAFKA_PIDFILE" kafka.Kafka 30
	fi
	kafka_write_config
	local jvm=("$java" -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
		-Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dkafka.logs.dir="$KAFKA_DIR/logs"
		-cp "$KAFKA_HOME/libs/*")
	if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
		local cluster_id
		# A Kafka Uuid: 16 random bytes, URL-safe base64 without padding.
		cluster_id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
		log "kafka: formatting $KAFKA_DIR/data (cluster id $cluster_id)"
		rm -rf "$KAFKA_DIR/data"
		run_logged "$KAFKA_DIR/format.log" "${jvm[@]}" kafka.tools.StorageTool format \
			-t "$cluster_id" -c "$KAFKA_DIR/server.properties" </dev/null ||
			{ fail "kafka: storage format failed"; return 1; }
	fi
	log "kafka: starting $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
	spawn "$KAFKA_PIDFILE" "$KAFKA_DIR/kafka.out" "$KAFKA_DIR" "${jvm[@]}" kafka.Kafka "$KAFKA_DIR/server.properties"
	if ! wait_until 120 "kafka to answer metadata requests" kafka_ok; then
		tail -n 30 "$KAFKA_DIR/kafka.out" "$KAFKA_DIR/logs/server.log" 2>/dev/null | awk '{ print "    | " $0 }' >&2
		fail "kafka: broker did not come up (logs: $KAFKA_DIR/kafka.out, $KAFKA_DIR/logs/server.log)"
		return 1
	fi
	log "kafka: up"
}

kafka_env() {
	emit SLUICE_TEST_KAFKA "127.0.0.1:$KAFKA_PORT"
	local kcat
	kcat=$(kcat_bin) && emit SLUICE_TEST_KCAT "$kcat"
	return 0
}

kafka_down() {
	stop_pid kafka "$KAFKA_PIDFILE" kafka.Kafka 60
}
