# shellcheck shell=bash
# The servers as containers, from docker-compose.test.yml, when a Docker engine
# answers. ODBC drivers, kcat and the Singer programs still live on the host.

MSSQL_SA_PASSWORD=${SLUICE_MSSQL_SA_PASSWORD:-Sluice-Test-2026}
declare -A COMPOSE_SERVICE=([mysql]=mysql [postgres]=postgres [mssql]=mssql [kafka]=kafka [registry]=schema-registry)

# urlenc VALUE: percent-encodes everything but RFC 3986 unreserved characters.
urlenc() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

# compose_up COMPONENT...: starts their containers and waits for healthchecks.
compose_up() {
	local services=() c
	for c in "$@"; do services+=("${COMPOSE_SERVICE[$c]}"); done
	log "docker: starting ${services[*]} from $COMPOSE_FILE"
	if ! SLUICE_MSSQL_SA_PASSWORD=$MSSQL_SA_PASSWORD docker compose -f "$COMPOSE_FILE" up -d --wait --wait-timeout 600 "${services[@]}" </dev/null >&2; then
		docker compose -f "$COMPOSE_FILE" ps >&2 || true
		docker compose -f "$COMPOSE_FILE" logs --tail 30 "${services[@]}" >&2 || true
		return 1
	fi
}

docker_env() {
	case $1 in
	mysql) emit SLUICE_TEST_MYSQL "jdbc:mysql://127.0.0.1:3306/test?user=root" ;;
	postgres) emit SLUICE_TEST_POSTGRES "jdbc:postgresql://127.0.0.1:5432/test?user=root" ;;
	mssql) emit SLUICE_TEST_MSSQL "sqlserver://sa:$(urlenc "$MSSQL_SA_PASSWORD")@127.0.0.1:1433?database=master&trustServerCertificate=true" ;;
	kafka)
		emit SLUICE_TEST_KAFKA "127.0.0.1:9092"
		local kcat
		kcat=$(command -v kcat || command -v kafkacat) && emit SLUICE_TEST_KCAT "$kcat"
		;;
	registry) emit SLUICE_TEST_SCHEMA_REGISTRY "http://127.0.0.1:8081" ;;
	esac
	return 0
}

compose_down() {
	log "docker: removing the containers of $COMPOSE_FILE"
	docker compose -f "$COMPOSE_FILE" down -v --remove-orphans </dev/null >&2
}
