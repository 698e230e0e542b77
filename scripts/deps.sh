#!/usr/bin/env bash
# Install the Debian packages the build, tests and demo need, when missing.
# As root it runs apt-get; otherwise it names the exact command to run.
set -euo pipefail
PKGS=(build-essential pkg-config libcmocka-dev liburcu-dev libzstd-dev liblz4-dev libxxhash-dev
      zlib1g-dev zstd python3 help2man libtracefs-dev libtraceevent-dev libtracecmd-dev trace-cmd libjansson-dev
      libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev
      chromium python3-pil ${PA_EXTRA_PKGS:-})
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
