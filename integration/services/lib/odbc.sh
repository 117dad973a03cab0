# shellcheck shell=bash
# unixODBC with the MariaDB and PostgreSQL drivers, registered under the names
# the tests use: "MariaDB Unicode" and "PostgreSQL Unicode".

odbc_packages() { echo unixodbc odbc-mariadb odbc-postgresql; }

ODBC_MARIADB_CONN="Driver={MariaDB Unicode};Server=127.0.0.1;Port=${SLUICE_MYSQL_PORT:-3306};Database=test;User=root;Password=;"
ODBC_POSTGRES_CONN="Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=${SLUICE_POSTGRES_PORT:-5432};Database=test;Uid=root;Pwd=;"

# odbc_register NAME DESCRIPTION LIBNAME PACKAGE: adds NAME to odbcinst.ini when
# the package's maintainer script did not.
odbc_register() {
	local name=$1 desc=$2 lib=$3 pkg=$4 path
	if odbcinst -q -d 2>/dev/null | grep -qxF "[$name]"; then
		return 0
	fi
	path=$(dpkg -L "$pkg" 2>/dev/null | grep "/$lib\$" | head -n1)
	if [[ -z $path ]]; then
		fail "odbc: $lib not found in package $pkg"
		return 1
	fi
	if ! is_root; then
		fail "odbc: driver [$name] is not registered and registering it needs root"
		return 1
	fi
	log "odbc: registering driver [$name] -> $path"
	local tmp
	tmp=$(mktemp)
	printf '[%s]\nDescription=%s\nDriver=%s\nUsageCount=1\n' "$name" "$desc" "$path" >"$tmp"
	odbcinst -i -d -f "$tmp" >/dev/null
	rm -f "$tmp"
}

# odbc_query CONN: runs "select 1" through the driver manager.
odbc_query() {
	local out
	out=$(printf 'select 1\n' | isql -b -k "$1" 2>&1) || { printf '%s\n' "$out"; return 1; }
	# isql -b exits 0 even on some connection errors; require a result row.
	grep -Eq '^\|? *1 *\|?$|^1$' <<<"$out" || { printf '%s\n' "$out"; return 1; }
}

odbc_up() {
	command -v odbcinst >/dev/null 2>&1 || { fail "odbc: odbcinst not found (package unixodbc)"; return 1; }
	odbc_register "MariaDB Unicode" "MariaDB Connector/ODBC" libmaodbc.so odbc-mariadb || return 1
	odbc_register "PostgreSQL Unicode" "PostgreSQL ODBC driver (Unicode)" psqlodbcw.so odbc-postgresql || return 1
	local ok=0 out
	if [[ ${STATUS[mysql]:-} == ok ]]; then
		if out=$(odbc_query "$ODBC_MARIADB_CONN"); then
			ODBC_MARIADB_OK=1
		else
			printf '%s\n' "$out" | awk '{ print "    | " $0 }' >&2
			fail "odbc: select 1 through [MariaDB Unicode] failed"
			ok=1
		fi
	fi
	if [[ ${STATUS[postgres]:-} == ok ]]; then
		if out=$(odbc_query "$ODBC_POSTGRES_CONN"); then
			ODBC_POSTGRES_OK=1
		else
			printf '%s\n' "$out" | awk '{ print "    | " $0 }' >&2
			fail "odbc: select 1 through [PostgreSQL Unicode] failed"
			ok=1
		fi
	fi
	((ok == 0)) && log "odbc: drivers registered and answering"
	return $ok
}

odbc_env() {
	[[ -n ${ODBC_MARIADB_OK:-} ]] && emit SLUICE_TEST_ODBC_MARIADB "$ODBC_MARIADB_CONN"
	[[ -n ${ODBC_POSTGRES_OK:-} ]] && emit SLUICE_TEST_ODBC_POSTGRES "$ODBC_POSTGRES_CONN"
	return 0
}

odbc_down() { :; }
