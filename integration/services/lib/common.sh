# shellcheck shell=bash
# Shared helpers for integration/services/up and down. Sourced, not run.
#
# Layout:
#   $SLUICE_CACHE (default ~/.cache/sluice): slow downloads kept between runs
#     (Maven repository, Kafka and Apicurio jars, Singer virtualenvs).
#   $SLUICE_SERVICES_DIR (default /var/tmp/sluice-services): data directories, pid
#     files and logs of the running servers. It is outside $HOME because the
#     database daemons run as the mysql and postgres users, who cannot enter
#     /root.

SERVICES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$SERVICES_DIR/../.." && pwd)
SLUICE_CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}
SLUICE_SERVICES_DIR=${SLUICE_SERVICES_DIR:-/var/tmp/sluice-services}
# The next three are used by the component files sourced after this one.
# A Maven repository of our own, so that removing $SLUICE_CACHE starts afresh.
# shellcheck disable=SC2034
MAVEN_REPO=$SLUICE_CACHE/m2
# shellcheck disable=SC2034
MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
# shellcheck disable=SC2034
COMPOSE_FILE="$REPO_ROOT/docker-compose.test.yml"

# Messages carry the seconds since the script started, to see where time goes.
log() { printf '[services %3ds] %s\n' "$SECONDS" "$*" >&2; }

# fail records why a component could not be brought up; up keeps going with the
# other components and exits non-zero at the end.
fail() {
	printf '[services %3ds] FAILED: %s\n' "$SECONDS" "$*" >&2
	return 1
}

# pid_alive FILE [WORD]: the process whose pid FILE holds is running, and its
# command line contains WORD. The check on WORD keeps a stale pid file (the
# machine restarted, the pid went to another program) from making down or a
# restart signal a process that up did not start.
pid_alive() {
	[[ -s $1 ]] || return 1
	local pid
	pid=$(head -n1 "$1")
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	[[ -z ${2:-} ]] && return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_until SECONDS DESCRIPTION CMD...: retries CMD every half second.
wait_until() {
	local secs=$1 what=$2
	shift 2
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			log "timed out after ${secs}s waiting for $what"
			return 1
		fi
		sleep 0.5
	done
}

# run_logged LOGFILE CMD...: runs CMD with its output in LOGFILE, and shows the
# end of LOGFILE when it fails, so that a CI log says why.
run_logged() {
	local logfile=$1
	shift
	mkdir -p "$(dirname "$logfile")"
	# 3>&- 9>&-: see spawn.
	if ! "$@" >"$logfile" 2>&1 3>&- 9>&-; then
		log "command failed: $* (last lines of $logfile follow)"
		tail -n 40 "$logfile" | awk '{ print "    | " $0 }' >&2
		return 1
	fi
}

# spawn PIDFILE LOGFILE DIR CMD...: starts CMD in DIR as a daemon in a session
# of its own, with its pid in PIDFILE ("-" for none: CMD writes its own). The
# daemon must not inherit up's fd 3 (the caller's stdout, read by
# eval "$(up)", which would then never see end of file) nor fd 9 (the lock,
# which would then stay held for as long as the daemon runs).
spawn() {
	local pidfile=$1 logfile=$2 dir=$3
	shift 3
	# shellcheck disable=SC2016 # expanded by the inner bash
	nohup setsid bash -c '[[ $0 != - ]] && echo $$ >"$0"; cd "$1" || exit 1; shift; exec "$@"' \
		"$pidfile" "$dir" "$@" >>"$logfile" 2>&1 </dev/null 3>&- 9>&- &
}

# stop_pid NAME PIDFILE WORD [SECONDS]: TERM, then KILL after SECONDS, if the
# pid in PIDFILE is a live process whose command line contains WORD.
stop_pid() {
	local name=$1 pidfile=$2 word=$3 secs=${4:-30}
	if ! pid_alive "$pidfile" "$word"; then
		rm -f "$pidfile"
		return 0
	fi
	local pid
	pid=$(head -n1 "$pidfile")
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + secs))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			log "$name did not stop in ${secs}s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.3
	done
	rm -f "$pidfile"
}

# sq VALUE: VALUE quoted for the shell with single quotes.
sq() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

is_root() { [[ $(id -u) -eq 0 ]]; }

docker_available() {
	command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

# java17 prints a java binary of version 17 or newer (Kafka 4 and Quarkus need
# 17). The version is read from the JDK's release file rather than by starting
# a JVM, which costs seconds on a loaded machine; the answer is remembered.
JAVA17=
java17() {
	if [[ -n $JAVA17 ]]; then
		printf '%s\n' "$JAVA17"
		return 0
	fi
	local c real v
	for c in "${SLUICE_JAVA:-}" /usr/lib/jvm/java-17-openjdk-*/bin/java "$(command -v java 2>/dev/null)" /usr/lib/jvm/*/bin/java; do
		[[ -n $c && -x $c ]] || continue
		real=$(readlink -f "$c")
		v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "${real%/bin/java}/release" 2>/dev/null)
		if [[ -z $v ]]; then
			v=$("$c" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
			v=${v%%.*}
		fi
		if [[ $v =~ ^[0-9]+$ ]] && ((v >= 17)); then
			JAVA17=$c
			printf '%s\n' "$c"
			return 0
		fi
	done
	return 1
}
