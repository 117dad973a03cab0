# shellcheck shell=bash
# Debian packages for the servers, installed only when missing.

pkg_installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

# ensure_packages PKG...: installs the missing ones with apt-get. apt-get update
# runs only when something is missing, so a warm run never touches the network.
ensure_packages() {
	local missing=() p
	# One dpkg-query for all: each call costs a noticeable fraction of a second.
	local -A have=()
	while read -r p; do have[$p]=1; done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
		awk '$NF == "installed" && $(NF-1) == "ok" { sub(/:.*/, "", $1); print $1 }')
	for p in "$@"; do
		[[ -n ${have[$p]:-} ]] || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	if ! command -v apt-get >/dev/null 2>&1; then
		fail "missing packages ${missing[*]} and no apt-get here: install them by hand"
		return 1
	fi
	if ! is_root; then
		fail "missing packages ${missing[*]}: run as root, or install them by hand (apt-get install ${missing[*]})"
		return 1
	fi
	log "installing ${missing[*]}"
	# Daemons must not be started by the packages' maintainer scripts: up starts
	# them itself, on its own data directories, and an init-script MariaDB would
	# take port 3306. policy-rc.d exit code 101 means "action forbidden".
	local policy=/usr/sbin/policy-rc.d made_policy=
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	local rc=0 opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	export DEBIAN_FRONTEND=noninteractive
	run_logged "$SLUICE_SERVICES_DIR/logs/apt-update.log" apt-get "${opts[@]}" update </dev/null || rc=$?
	if ((rc == 0)); then
		run_logged "$SLUICE_SERVICES_DIR/logs/apt-install.log" apt-get "${opts[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null || rc=$?
	fi
	[[ -n $made_policy ]] && rm -f "$policy"
	if ((rc != 0)); then
		fail "apt-get could not install ${missing[*]}"
		return 1
	fi
}
