# shellcheck shell=bash
# Singer taps and targets from PyPI, one virtualenv each under
# $SLUICE_CACHE/singer/NAME (their dependency pins conflict), with the
# programs also linked into $SLUICE_CACHE/singer/bin.

SINGER_HOME=$SLUICE_CACHE/singer
SINGER_PROGRAMS=(tap-postgres tap-mysql target-jsonl target-csv target-postgres)

singer_packages() {
	command -v python3 >/dev/null 2>&1 || echo python3 python3-venv
}

# singer_python prints a CPython 3 interpreter that can make virtualenvs.
singer_python() {
	local p
	for p in "${SLUICE_PYTHON:-}" python3 /usr/bin/python3; do
		if [[ -z $p ]] || ! command -v "$p" >/dev/null 2>&1; then continue; fi
		"$p" -c 'import venv, ensurepip' >/dev/null 2>&1 && { command -v "$p"; return 0; }
	done
	return 1
}

# singer_stamp NAME: what a venv was built from: its requirements and the
# version of its interpreter (the venv's own python, which is fast to start,
# unlike a pyenv shim).
singer_stamp() {
	local name=$1
	{
		cat "$SERVICES_DIR/singer/$name.txt"
		[[ $name == target-csv ]] && cat "$SERVICES_DIR/singer/singer-compat.pth" "$SERVICES_DIR/singer/singer_compat.py"
		"$SINGER_HOME/$name/bin/python" -c 'import sys; print(sys.version)'
	} | sha256sum | cut -d' ' -f1
}

singer_ready() {
	local venv=$SINGER_HOME/$1
	[[ -x $venv/bin/$1 && -f $venv/.sluice-stamp && $(cat "$venv/.sluice-stamp") == "$(singer_stamp "$1" 2>/dev/null)" ]]
}

# singer_install NAME PYTHON: builds one virtualenv from scratch.
singer_install() {
	local name=$1 py=$2 venv=$SINGER_HOME/$1
	log "singer: installing $name into $venv"
	rm -rf "$venv"
	local extra=()
	# See the comment in singer/tap-postgres.txt.
	[[ $name == tap-postgres ]] && extra+=(--ignore-requires-python)
	# shellcheck disable=SC2016 # expanded by the inner bash
	run_logged "$SINGER_HOME/logs/$name.log" bash -c '
		set -e
		"$1" -m venv "$2"
		"$2/bin/python" -m pip install --disable-pip-version-check -q "setuptools<70" wheel
		shift 2
		"$@"
	' _ "$py" "$venv" "$venv/bin/python" -m pip install --disable-pip-version-check \
		-r "$SERVICES_DIR/singer/$name.txt" "${extra[@]}" </dev/null || return 1
	if [[ $name == target-csv ]]; then
		local site
		site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
		cp "$SERVICES_DIR/singer/singer-compat.pth" "$SERVICES_DIR/singer/singer_compat.py" "$site/"
	fi
	# A broken install fails here, not in a test: --help imports the program
	# and its dependencies, and the file targets also write a small stream.
	run_logged "$SINGER_HOME/logs/$name.check.log" singer_check "$name" "$venv/bin/$name" || return 1
	singer_stamp "$name" >"$venv/.sluice-stamp"
}

# singer_check NAME PROGRAM: runs the program. The taps and target-postgres need
# a server, so they only show their --help here.
singer_check() {
	local name=$1 prog=$2 dir
	"$prog" --help </dev/null || return 1
	case $name in
	target-jsonl | target-csv) ;;
	*) return 0 ;;
	esac
	dir=$(mktemp -d)
	printf '{"destination_path": "%s/", "disable_collection": true}\n' "$dir" >"$dir/config.json"
	printf '%s\n' \
		'{"type": "SCHEMA", "stream": "s", "key_properties": ["id"], "schema": {"type": "object", "properties": {"id": {"type": "integer"}, "o": {"type": ["null", "object"], "properties": {"a": {"type": ["null", "string"]}}}}}}' \
		'{"type": "RECORD", "stream": "s", "record": {"id": 1, "o": {"a": "x"}}}' \
		'{"type": "STATE", "value": {"done": true}}' |
		"$prog" -c "$dir/config.json" >"$dir/state.out"
	local rc=$? out
	out=$(cat "$dir"/s*.* 2>/dev/null)
	rm -rf "$dir"
	((rc == 0)) || return 1
	[[ $out == *x* ]] || { echo "$name wrote no record"; return 1; }
}

singer_up() {
	mkdir -p "$SINGER_HOME/bin" "$SINGER_HOME/logs"
	local name todo=() py='' pids=() names=() rc=0 i
	for name in "${SINGER_PROGRAMS[@]}"; do
		singer_ready "$name" || todo+=("$name")
	done
	if ((${#todo[@]})); then
		py=$(singer_python) || { fail "singer: no python3 with venv and ensurepip found (set SLUICE_PYTHON)"; return 1; }
	fi
	# The installs are mostly downloads; run them side by side.
	for name in "${SINGER_PROGRAMS[@]}"; do
		if [[ " ${todo[*]} " == *" $name "* ]]; then
			singer_install "$name" "$py" &
		else
			true &
		fi
		pids+=($!)
		names+=("$name")
	done
	for i in "${!pids[@]}"; do
		if wait "${pids[$i]}"; then
			ln -sfn "../${names[$i]}/bin/${names[$i]}" "$SINGER_HOME/bin/${names[$i]}"
		else
			fail "singer: ${names[$i]} did not install or run (log: $SINGER_HOME/logs/${names[$i]}.log)"
			rc=1
		fi
	done
	((rc == 0)) && log "singer: ${SINGER_PROGRAMS[*]} ready in $SINGER_HOME"
	return $rc
}

singer_env() {
	emit SLUICE_TEST_SINGER "$SINGER_HOME"
}

singer_down() { :; }
