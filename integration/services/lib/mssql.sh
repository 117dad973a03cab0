# shellcheck shell=bash
# SQL Server's protocol without Docker: Babelfish for PostgreSQL (TDS and
# T-SQL on PostgreSQL 16) from the prebuilt copy in ../shared/babelfish beside
# the repository (a clean clone at /work/NAME finds /work/shared). Its own up
# script unpacks, initialises (first start about 30 s) and starts it, TDS on
# 127.0.0.1:1433 and PostgreSQL on 127.0.0.1:5433 (database babelfish_db, the
# T-SQL database test as schema test_dbo), which the tests use to read back
# independently. With Docker, docker-compose.test.yml's SQL Server is used
# instead (lib/docker.sh); a SLUICE_TEST_MSSQL given by the caller wins over
# both.

# SLUICE_BABELFISH_DIR overrides; ../../shared serves a worktree kept one
# folder further down (/work/wt/NAME).
BABELFISH_DIR=${SLUICE_BABELFISH_DIR:-$REPO_ROOT/../shared/babelfish}
if [[ -z ${SLUICE_BABELFISH_DIR:-} && ! -d $BABELFISH_DIR && -d $REPO_ROOT/../../shared/babelfish ]]; then
	BABELFISH_DIR=$REPO_ROOT/../../shared/babelfish
fi
# The daemon runs as its own user, who cannot enter /root: data under
# $SLUICE_SERVICES_DIR like the other servers'.
BABELFISH_HOME=$SLUICE_SERVICES_DIR/babelfish

babelfish_available() { [[ -x $BABELFISH_DIR/up ]]; }

# Babelfish's up installs zstd, libicu72, libxml2 and libssl3 itself; its
# uuid-ossp extension also needs libossp-uuid16.
mssql_packages() {
	[[ -n ${SLUICE_TEST_MSSQL:-} ]] && return 0
	babelfish_available && echo zstd libicu72 libxml2 libssl3 libossp-uuid16
}

mssql_up() {
	if [[ -n ${SLUICE_TEST_MSSQL:-} ]]; then
		log "mssql: using the SLUICE_TEST_MSSQL given"
		MSSQL_URL=$SLUICE_TEST_MSSQL
		return 0
	fi
	if ! babelfish_available; then
		fail "mssql: no Docker engine for SQL Server and no Babelfish at $BABELFISH_DIR"
		return 1
	fi
	local out line
	# 3>&- 9>&-: the server must not inherit up's stdout nor its lock (see spawn).
	if ! out=$(BBF_HOME=$BABELFISH_HOME "$BABELFISH_DIR/up" 2>>"$SLUICE_SERVICES_DIR/logs/babelfish.log" 3>&- 9>&-); then
		fail "mssql: $BABELFISH_DIR/up failed; see $SLUICE_SERVICES_DIR/logs/babelfish.log and $BABELFISH_HOME/data/server.log"
		return 1
	fi
	line=$(grep -m1 '^export SLUICE_TEST_MSSQL=' <<<"$out")
	MSSQL_URL=${line#export SLUICE_TEST_MSSQL=}
	MSSQL_URL=${MSSQL_URL#\'}
	MSSQL_URL=${MSSQL_URL%\'}
	if [[ -z $MSSQL_URL ]]; then
		fail "mssql: $BABELFISH_DIR/up printed no SLUICE_TEST_MSSQL"
		return 1
	fi
	# The same login on the PostgreSQL side, for reading back independently.
	local cred=${MSSQL_URL#sqlserver://}
	cred=${cred%%@*}
	MSSQL_PG_URL="postgres://$cred@127.0.0.1:${BBF_PG_PORT:-5433}/babelfish_db?sslmode=disable"
	log "mssql: Babelfish up (TDS 127.0.0.1:${BBF_TDS_PORT:-1433}, PostgreSQL 127.0.0.1:${BBF_PG_PORT:-5433})"
}

mssql_env() {
	emit SLUICE_TEST_MSSQL "$MSSQL_URL"
	[[ -n ${MSSQL_PG_URL:-} ]] && emit SLUICE_TEST_MSSQL_PG "$MSSQL_PG_URL"
	return 0
}

mssql_down() {
	babelfish_available && [[ -d $BABELFISH_HOME/data ]] || return 0
	BBF_HOME=$BABELFISH_HOME "$BABELFISH_DIR/up" stop >/dev/null 2>&1 || true
}
