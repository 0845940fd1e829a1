#!/usr/bin/env bash
# Checks the unit files AS INSTALLED: `cmake --install` of the build tree into a DESTDIR, once
# with the build's own prefix (the default /usr/local unless configured) and once with
# `--prefix /usr`, then on each installed tree:
#   - every program an Exec line runs exists (executable) inside the installed tree;
#   - `systemd-analyze verify --root=TREE` is clean (commands, man pages, dependencies);
#   - `systemd-analyze security --offline=yes --root=TREE` rates each unit 1.1 or lower;
#   - the operational settings: ExecReload validates (check-config) before it signals,
#     RestartPreventExitStatus=2, MemoryMax at least twice the peak RSS measured in
#     systemd/README.md, per-instance state/config/credential for the template;
#   - behaviour of those commands from the installed tree, without any secret in the
#     environment: the reload check accepts the shipped example config and rejects a broken
#     file, and `run` on a broken file exits with the status RestartPreventExitStatus names;
#   - the rest of the installed tree: sysusers/tmpfiles, man pages, bash completion, example
#     config, alert rules, dashboard.
# Usage: check_units.sh <source dir> <build dir>
set -euo pipefail
src=$1
build=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }
ok() { echo "ok: $*"; }

# The value of Key= in a unit file (the last one wins, as in systemd), or "".
unit_value() { sed -n "s/^$2=//p" "$1" | tail -n 1; }

# Bytes from a systemd size such as 512M or 1G.
to_bytes() {
  local v=$1
  case "$v" in
    *K) echo $((${v%K} * 1024)) ;;
    *M) echo $((${v%M} * 1024 * 1024)) ;;
    *G) echo $((${v%G} * 1024 * 1024 * 1024)) ;;
    *) echo "$v" ;;
  esac
}

peak_mib=$(sed -n 's/.*peak RSS (VmHWM) of the daemon: \([0-9]*\) MiB.*/\1/p' "$src/systemd/README.md" |
           head -n 1)

check_tree() {  # check_tree LABEL ROOT PREFIX
  local label=$1 root=$2 prefix=$3
  local units="$root$prefix/lib/systemd/system"
  # systemd's own targets, for the dependency checks of verify inside ROOT.
  mkdir -p "$root/usr/lib/systemd/system"
  cp /usr/lib/systemd/system/*.target "$root/usr/lib/systemd/system/"
  for f in bin/divaudit lib/sysusers.d/divaudit.conf lib/tmpfiles.d/divaudit.conf \
      share/man/man1/divaudit.1 share/man/man5/divaudit.toml.5 \
      share/bash-completion/completions/divaudit share/divaudit/divaudit.example.toml \
      share/divaudit/divaudit.rules.yml share/divaudit/divaudit.json share/divaudit/set-runbook-base \
      share/doc/divaudit/README.md; do
    [ -e "$root$prefix/$f" ] || fail "$label: $prefix/$f is not installed"
  done
  [ -e "$root$prefix/bin/divaudit-sim" ] && fail "$label: divaudit-sim is in the divaudit component"
  for unit in divaudit.service divaudit@.service; do
    local file="$units/$unit" name=$unit
    [[ $unit == *@.service ]] && name=${unit/@/@acme}
    if [ ! -f "$file" ]; then
      fail "$label: $unit not installed in $prefix/lib/systemd/system"
      continue
    fi
    local cmd missing=0
    while read -r cmd; do
      if [ ! -x "$root$cmd" ] && { [[ $cmd != /bin/* ]] || [ ! -x "$cmd" ]; }; then
        fail "$label: $unit runs $cmd, which the installed tree does not have"
        missing=1
      fi
    done < <(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$file")
    [ $missing = 0 ] && ok "$label: every Exec program of $unit is installed ($prefix/bin)"

    local out
    out=$(cd "$tmp" && MANPATH="$root$prefix/share/man" \
          systemd-analyze verify --root="$root" "$name" 2>&1 || true)
    if [ -n "$out" ]; then
      fail "$label: systemd-analyze verify --root $name:"
      echo "$out"
    else
      ok "$label: systemd-analyze verify --root $name is clean"
    fi
    local rating
    rating=$(cd "$tmp" && systemd-analyze security --offline=yes --root="$root" "$name" 2>&1 |
             sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -z "$rating" ]; then
      fail "$label: no security rating for $name"
    elif awk -v r="$rating" 'BEGIN { exit !(r <= 1.1) }'; then
      ok "$label: $name exposure $rating (<= 1.1)"
    else
      fail "$label: $name exposure $rating > 1.1"
    fi

    # Operational settings.
    local config=/etc/divaudit/divaudit.toml
    [[ $unit == *@.service ]] && config=/etc/divaudit/%i.toml
    local reload1
    reload1=$(sed -n 's/^ExecReload=//p' "$file" | head -n 1)
    if [[ $reload1 == "$prefix/bin/divaudit check-config --config $config" ]] &&
       sed -n 's/^ExecReload=//p' "$file" | sed -n 2p | grep -q 'kill -HUP'; then
      ok "$label: $unit reload runs check-config before SIGHUP"
    else
      fail "$label: $unit ExecReload must run check-config, then signal (got: $reload1)"
    fi
    [ "$(unit_value "$file" RestartPreventExitStatus)" = 2 ] &&
      ok "$label: $unit RestartPreventExitStatus=2" ||
      fail "$label: $unit lacks RestartPreventExitStatus=2"
    local max
    max=$(unit_value "$file" MemoryMax)
    if [ -z "$peak_mib" ]; then
      fail "systemd/README.md does not record the measured peak RSS"
    elif [ -n "$max" ] && [ "$(to_bytes "$max")" -ge $((peak_mib * 2 * 1024 * 1024)) ]; then
      ok "$label: $unit MemoryMax=$max >= 2 x measured peak ${peak_mib} MiB"
    else
      fail "$label: $unit MemoryMax=$max is not at least 2 x the measured peak ${peak_mib} MiB"
    fi
    if [[ $unit == *@.service ]]; then
      [ "$(unit_value "$file" StateDirectory)" = "divaudit/%i" ] &&
      [ "$(unit_value "$file" LoadCredential)" = "client-secret:/etc/divaudit/%i.client-secret" ] &&
      grep -q "^ExecStart=$prefix/bin/divaudit run --config /etc/divaudit/%i.toml$" "$file" &&
      ok "$label: $unit keeps state, credential and config per instance" ||
      fail "$label: $unit must use StateDirectory=divaudit/%i, its own credential and config"
    fi
  done

  # The commands as the units run them, from the installed tree, with no secret anywhere.
  local bin="$root$prefix/bin/divaudit"
  cp "$root$prefix/share/divaudit/divaudit.example.toml" "$tmp/good.toml"
  printf '[genesys]\nclient_id = "x"\nno_such_key = 1\n' >"$tmp/bad.toml"
  local rc=0
  env -i PATH=/usr/bin:/bin "$bin" check-config --config "$tmp/good.toml" >/dev/null 2>"$tmp/err" ||
    rc=$?
  [ $rc = 0 ] && ok "$label: reload check accepts the example config without a secret" ||
    { fail "$label: check-config of the example config exited $rc:"; cat "$tmp/err"; }
  rc=0
  env -i PATH=/usr/bin:/bin "$bin" check-config --config "$tmp/bad.toml" >/dev/null 2>&1 || rc=$?
  [ $rc != 0 ] && ok "$label: reload check rejects a broken config (exit $rc)" ||
    fail "$label: check-config accepted a broken config"
  rc=0
  env -i PATH=/usr/bin:/bin timeout 20 "$bin" run --config "$tmp/bad.toml" >/dev/null 2>&1 || rc=$?
  [ $rc = 2 ] && ok "$label: run exits 2 on a broken config (not restarted)" ||
    fail "$label: run on a broken config exited $rc, not 2 (RestartPreventExitStatus)"
}

default_prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
DESTDIR="$tmp/default" cmake --install "$build" --component divaudit >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
check_tree "prefix $default_prefix" "$tmp/default" "$default_prefix"
DESTDIR="$tmp/usr" cmake --install "$build" --prefix /usr --component divaudit \
  >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
check_tree "prefix /usr" "$tmp/usr" /usr
exit $status
