# shellcheck shell=bash
# PostgreSQL on 127.0.0.1:5432: trust authentication, superuser root, database test.

PG_DIR=$SLUICE_SERVICES_DIR/postgres
PG_DATA=$PG_DIR/data
PG_PORT=${SLUICE_POSTGRES_PORT:-5432}
# Debian's client tools look for the socket here by default.
PG_SOCKDIR=/var/run/postgresql

postgres_packages() { echo postgresql postgresql-client; }

# pg_bindir prints the bin directory of the newest installed server (Debian 12: 15).
pg_bindir() {
	local d
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)
	[[ -n $d && -x $d/postgres ]] && printf '%s\n' "$d"
}

postgres_tcp_ok() {
	psql -h 127.0.0.1 -p "$PG_PORT" -U root -d test -X -A -t -c 'select 1' </dev/null
}

as_postgres() {
	if is_root; then
		# cd /: the postgres user may not be allowed into the caller's directory.
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

postgres_up() {
	local pidfile=$PG_DATA/postmaster.pid
	if pid_alive "$pidfile" postgres && postgres_tcp_ok >/dev/null 2>&1; then
		log "postgres: already running on 127.0.0.1:$PG_PORT"
		return 0
	fi
	if ! pid_alive "$pidfile" postgres && port_open "$PG_PORT"; then
		if postgres_tcp_ok >/dev/null 2>&1; then
			log "postgres: a server not started by up answers on 127.0.0.1:$PG_PORT as root; using it"
			return 0
		fi
		fail "postgres: port $PG_PORT is taken by another process that does not trust user root"
		return 1
	fi
	local bin
	bin=$(pg_bindir) || { fail "postgres: no server in /usr/lib/postgresql/*/bin (package postgresql)"; return 1; }

	mkdir -p "$PG_DIR" "$PG_SOCKDIR"
	if is_root; then chown postgres:postgres "$PG_DIR" "$PG_SOCKDIR"; fi
	if [[ ! -s $PG_DATA/PG_VERSION ]]; then
		log "postgres: initialising $PG_DATA"
		rm -rf "$PG_DATA"
		# --no-sync: test data; a crash during initdb loses nothing of value.
		run_logged "$PG_DIR/initdb.log" as_postgres "$bin/initdb" -D "$PG_DATA" -U postgres \
			--auth=trust -E UTF8 --locale=C.UTF-8 --no-sync || { fail "postgres: initdb failed"; return 1; }
		echo "include_if_exists = 'sluice.conf'" >>"$PG_DATA/postgresql.conf"
	fi
	# Rewritten on every start; initdb --auth=trust already trusts local,
	# 127.0.0.1/32 and ::1/128.
	cat >"$PG_DATA/sluice.conf" <<CONF
listen_addresses = '127.0.0.1,::1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
max_connections = 200
# Logical decoding for CDC readers (pipelinewise-tap-postgres LOG_BASED).
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
# Tests do not need durability.
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
	if is_root; then chown postgres:postgres "$PG_DATA/sluice.conf"; fi
	if pid_alive "$pidfile" postgres; then
		log "postgres: running but not answering; restarting it"
		as_postgres "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
	fi
	log "postgres: starting on 127.0.0.1:$PG_PORT"
	if ! run_logged "$PG_DIR/pg_ctl.log" as_postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/postgres.log" -w -t 90 start; then
		tail -n 30 "$PG_DIR/postgres.log" 2>/dev/null | awk '{ print "    | " $0 }' >&2
		fail "postgres: server did not come up (log: $PG_DIR/postgres.log)"
		return 1
	fi
	if ! as_postgres psql -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 >"$PG_DIR/bootstrap.log" 2>&1 <<'SQL'; then
SELECT 'CREATE ROLE root SUPERUSER LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'root') \gexec
SELECT 'CREATE DATABASE test OWNER root' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'test') \gexec
SQL
		cat "$PG_DIR/bootstrap.log" >&2
		fail "postgres: could not create role root and database test"
		return 1
	fi
	if ! postgres_tcp_ok >/dev/null 2>&1; then
		fail "postgres: root cannot log in over TCP on 127.0.0.1:$PG_PORT"
		return 1
	fi
	log "postgres: up"
}

postgres_env() {
	emit SLUICE_TEST_POSTGRES "jdbc:postgresql://127.0.0.1:$PG_PORT/test?user=root"
}

postgres_down() {
	local bin
	if pid_alive "$PG_DATA/postmaster.pid" postgres && bin=$(pg_bindir); then
		log "stopping postgres"
		as_postgres "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			stop_pid postgres "$PG_DATA/postmaster.pid" postgres 30
	fi
}
