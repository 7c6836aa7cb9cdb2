#!/bin/sh
# Install the named Debian packages when any of them is missing.
# Usage: mk/pkgs.sh PACKAGE...
# Idempotent: with everything present it only asks dpkg and exits.
set -eu
missing=""
for p in "$@"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "pkgs: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "pkgs: installing$missing" >&2
# One update per machine boot is enough; apt's lists may be stale on a fresh image.
stamp=/var/lib/apt/periodic/blockbox-update-stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
	apt-get update -q >&2
	mkdir -p "${stamp%/*}" && touch "$stamp"
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
