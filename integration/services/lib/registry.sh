# shellcheck shell=bash
# A schema registry speaking the Confluent REST API on 127.0.0.1:8081.
#
# Karapace, the first choice, is not published on PyPI (pip finds no version),
# so this is Apicurio Registry from Maven Central, whose "ccompat" API is the
# Confluent one under /apis/ccompat/v7. Version 2.6.x runs on Java 17; the 3.x
# line is compiled for Java 21. Storage is in-memory H2: schemas last until the
# registry stops, which is what tests want.

APICURIO_VERSION=${SLUICE_APICURIO_VERSION:-2.6.13.Final}
REGISTRY_PORT=${SLUICE_REGISTRY_PORT:-8081}
APICURIO_HOME=$SLUICE_CACHE/apicurio-$APICURIO_VERSION
REGISTRY_DIR=$SLUICE_SERVICES_DIR/registry
REGISTRY_PIDFILE=$REGISTRY_DIR/registry.pid
REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7

registry_packages() {
	command -v mvn >/dev/null 2>&1 || echo maven
	command -v curl >/dev/null 2>&1 || echo curl
	java17 >/dev/null 2>&1 || echo openjdk-17-jre-headless
}

registry_ok() {
	[[ $(curl -sf -m 3 "$REGISTRY_URL/subjects" 2>/dev/null) == \[*\] ]]
}

registry_fetch() {
	[[ -f $APICURIO_HOME/.complete ]] && return 0
	# Already tried (and reported) by up's background download.
	if [[ -n ${TMP:-} && -e $TMP/registry.fetch-failed ]]; then
		fail "registry: no Apicurio jars (see the Maven error above)"
		return 1
	fi
	command -v mvn >/dev/null 2>&1 || { fail "registry: mvn not found (package maven)"; return 1; }
	log "registry: fetching io.apicurio:apicurio-registry-app:$APICURIO_VERSION from Maven Central"
	rm -rf "$APICURIO_HOME"
	mkdir -p "$APICURIO_HOME"
	# The app's "all" assembly is the runnable Quarkus application.
	run_logged "$APICURIO_HOME/mvn.log" mvn -B -ntp -f "$SERVICES_DIR/kafka/pom.xml" \
		-Dmaven.repo.local="$MAVEN_REPO" "$MAVEN_DEPENDENCY_PLUGIN:copy" \
		-Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
		-DoutputDirectory="$APICURIO_HOME/dl" -Dstyle.color=never </dev/null || {
		[[ -n ${TMP:-} ]] && touch "$TMP/registry.fetch-failed"
		fail "registry: Maven could not fetch Apicurio Registry"
		return 1
	}
	tar -xzf "$APICURIO_HOME"/dl/*.tar.gz -C "$APICURIO_HOME" || { fail "registry: could not unpack Apicurio"; return 1; }
	rm -rf "$APICURIO_HOME/dl"
	touch "$APICURIO_HOME/.complete"
}

# registry_jar prints the jar that starts the application: a legacy runner jar
# in 2.x, quarkus-run.jar (fast-jar layout) in 3.x.
registry_jar() {
	local j
	for j in "$APICURIO_HOME"/*-runner.jar "$APICURIO_HOME/quarkus-run.jar"; do
		[[ -f $j ]] && { printf '%s\n' "$j"; return 0; }
	done
	return 1
}

registry_up() {
	if registry_ok; then
		if pid_alive "$REGISTRY_PIDFILE" apicurio; then
			log "registry: already running at $REGISTRY_URL"
		else
			log "registry: a registry not started by up answers at $REGISTRY_URL; using it"
		fi
		return 0
	fi
	if ! pid_alive "$REGISTRY_PIDFILE" apicurio && port_open "$REGISTRY_PORT"; then
		fail "registry: port $REGISTRY_PORT is taken by a process that does not answer GET $REGISTRY_URL/subjects"
		return 1
	fi
	local java jar
	java=$(java17) || { fail "registry: no Java 17 or newer found (set SLUICE_JAVA)"; return 1; }
	registry_fetch || return 1
	jar=$(registry_jar) || { fail "registry: no runner jar in $APICURIO_HOME"; return 1; }
	if pid_alive "$REGISTRY_PIDFILE" apicurio; then
		if wait_until 60 "registry started earlier" registry_ok; then
			log "registry: up"
			return 0
		fi
		stop_pid registry "$REGISTRY_PIDFILE" apicurio 30
	fi
	mkdir -p "$REGISTRY_DIR"
	log "registry: starting Apicurio Registry $APICURIO_VERSION on 127.0.0.1:$REGISTRY_PORT"
	# Deletion is off by default in Apicurio; Confluent clients and tests
	# expect DELETE /subjects/... to work. Both the 2.x and 3.x property names
	# are given; each version ignores the other's.
	spawn "$REGISTRY_PIDFILE" "$REGISTRY_DIR/registry.log" "$REGISTRY_DIR" \
		"$java" -Xms64m -Xmx384m -XX:+UseSerialGC -Djava.awt.headless=true \
		-Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
		-Dregistry.rest.artifact.deletion.enabled=true \
		-Dapicurio.rest.deletion.artifact.enabled=true \
		-Dapicurio.rest.deletion.artifact-version.enabled=true \
		-Dapicurio.rest.deletion.group.enabled=true \
		-jar "$jar"
	if ! wait_until 120 "the schema registry to answer GET /subjects" registry_ok; then
		grep -v '^[[:space:]]*at ' "$REGISTRY_DIR/registry.log" | tail -n 20 | awk '{ print "    | " $0 }' >&2
		fail "registry: Apicurio did not come up (log: $REGISTRY_DIR/registry.log)"
		return 1
	fi
	log "registry: up (Apicurio Registry $APICURIO_VERSION, Confluent API at $REGISTRY_URL)"
}

registry_env() {
	emit SLUICE_TEST_SCHEMA_REGISTRY "$REGISTRY_URL"
}

registry_down() {
	stop_pid registry "$REGISTRY_PIDFILE" apicurio 30
}
