#!/usr/bin/env bash
# Checks the shipped unit files: `systemd-analyze verify` must be clean and
# `systemd-analyze security --offline=yes` must rate each unit 1.5 or lower.
# Usage: check_units.sh <source dir> <divaudit binary>
set -euo pipefail
src=$1
binary=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for unit in divaudit.service divaudit@.service; do
  name=$unit
  [[ $unit == *@.service ]] && name=${unit/@/@acme}
  # Verify the unit as installed, with ExecStart pointing at the binary we just built.
  sed "s|/usr/bin/divaudit|$binary|" "$src/systemd/$unit" > "$tmp/$name"
  out=$(cd "$tmp" && systemd-analyze verify "./$name" 2>&1 || true)
  if [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify $unit:"
    echo "$out"
    status=1
  else
    echo "ok: systemd-analyze verify $unit is clean"
  fi
  rating=$(cd "$tmp" && systemd-analyze security --offline=yes "./$name" 2>&1 |
           sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -z "$rating" ]; then
    echo "FAIL: no security rating for $unit"
    status=1
  elif awk -v r="$rating" 'BEGIN { exit !(r <= 1.5) }'; then
    echo "ok: $unit exposure $rating (<= 1.5)"
  else
    echo "FAIL: $unit exposure $rating > 1.5"
    status=1
  fi
done
exit $status
