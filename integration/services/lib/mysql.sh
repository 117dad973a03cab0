# shellcheck shell=bash
# MariaDB on 127.0.0.1:3306: root without password over TCP, database test.

MYSQL_DIR=$SLUICE_SERVICES_DIR/mariadb
MYSQL_PORT=${SLUICE_MYSQL_PORT:-3306}
MYSQL_SOCK=$MYSQL_DIR/run/mysqld.sock
MYSQL_PIDFILE=$MYSQL_DIR/run/mariadbd.pid

mysql_packages() { echo mariadb-server mariadb-client; }

mysql_tcp_ok() {
	mariadb --no-defaults -h127.0.0.1 -P"$MYSQL_PORT" -uroot --connect-timeout=2 -N -e 'select 1' test
}

mysql_write_config() {
	cat >"$MYSQL_DIR/my.cnf" <<CNF
# Written by integration/services/up; rewritten on every start.
[mysqld]
user=mysql
datadir=$MYSQL_DIR/data
tmpdir=$MYSQL_DIR/tmp
socket=$MYSQL_SOCK
pid-file=$MYSQL_PIDFILE
log-error=$MYSQL_DIR/mariadbd.err
port=$MYSQL_PORT
bind-address=127.0.0.1
skip-name-resolve
local-infile=1
max_allowed_packet=256M
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
max_connections=300
innodb_buffer_pool_size=256M
# Tests do not need durability; speed matters more.
innodb_flush_log_at_trx_commit=2
sync_binlog=0
# Row binlog so that CDC readers (pipelinewise-tap-mysql LOG_BASED) work.
server-id=1
log-bin=mysql-bin
binlog_format=ROW
binlog_row_image=FULL
expire_logs_days=1

[client]
socket=$MYSQL_SOCK
default-character-set=utf8mb4
CNF
}

mysql_up() {
	if pid_alive "$MYSQL_PIDFILE" mariadbd && mysql_tcp_ok >/dev/null 2>&1; then
		log "mariadb: already running on 127.0.0.1:$MYSQL_PORT"
		return 0
	fi
	if ! pid_alive "$MYSQL_PIDFILE" mariadbd && port_open "$MYSQL_PORT"; then
		if mysql_tcp_ok >/dev/null 2>&1; then
			log "mariadb: a server not started by up answers on 127.0.0.1:$MYSQL_PORT as root; using it"
			return 0
		fi
		fail "mariadb: port $MYSQL_PORT is taken by another process that does not accept root without password"
		return 1
	fi
	command -v mariadbd >/dev/null 2>&1 || { fail "mariadb: mariadbd not found (package mariadb-server)"; return 1; }

	mkdir -p "$MYSQL_DIR/data" "$MYSQL_DIR/tmp" "$MYSQL_DIR/run"
	chown -R mysql:mysql "$MYSQL_DIR"
	mysql_write_config
	if [[ ! -d $MYSQL_DIR/data/mysql ]]; then
		log "mariadb: initialising $MYSQL_DIR/data"
		# "normal" authentication gives root a password-less account instead of
		# Debian's unix_socket-only root, which TCP clients cannot use.
		run_logged "$MYSQL_DIR/install-db.log" mariadb-install-db --defaults-file="$MYSQL_DIR/my.cnf" \
			--auth-root-authentication-method=normal --skip-test-db || { fail "mariadb: mariadb-install-db failed"; return 1; }
	fi
	if pid_alive "$MYSQL_PIDFILE" mariadbd; then
		log "mariadb: running but not answering; restarting it"
		stop_pid mariadb "$MYSQL_PIDFILE" mariadbd 60
	fi
	log "mariadb: starting on 127.0.0.1:$MYSQL_PORT"
	rm -f "$MYSQL_SOCK"
	spawn - "$MYSQL_DIR/mariadbd.out" / mariadbd --defaults-file="$MYSQL_DIR/my.cnf"
	if ! wait_until 90 "mariadb socket" mariadb-admin --defaults-file="$MYSQL_DIR/my.cnf" -uroot ping; then
		tail -n 30 "$MYSQL_DIR/mariadbd.err" 2>/dev/null | awk '{ print "    | " $0 }' >&2
		fail "mariadb: server did not come up (log: $MYSQL_DIR/mariadbd.err)"
		return 1
	fi
	# Idempotent: runs on every start so an old data directory is fixed too.
	if ! mariadb --defaults-file="$MYSQL_DIR/my.cnf" -uroot >"$MYSQL_DIR/bootstrap.log" 2>&1 <<'SQL'; then
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
CREATE USER IF NOT EXISTS 'root'@'::1' IDENTIFIED BY '';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '';
ALTER USER 'root'@'::1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'root'@'::1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
FLUSH PRIVILEGES;
SQL
		cat "$MYSQL_DIR/bootstrap.log" >&2
		fail "mariadb: could not create root@127.0.0.1 and database test"
		return 1
	fi
	if ! mysql_tcp_ok >/dev/null 2>&1; then
		fail "mariadb: root cannot log in over TCP on 127.0.0.1:$MYSQL_PORT"
		return 1
	fi
	log "mariadb: up"
}

mysql_env() {
	emit SLUICE_TEST_MYSQL "jdbc:mysql://127.0.0.1:$MYSQL_PORT/test?user=root"
}

mysql_down() {
	stop_pid mariadb "$MYSQL_PIDFILE" mariadbd 60
}
