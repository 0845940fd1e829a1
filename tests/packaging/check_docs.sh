#!/usr/bin/env bash
# The shipped man pages and bash completion cannot drift from the programs:
#   - every subcommand of `divaudit --help` and every option of `divaudit [CMD] --help` is
#     offered by the generated completion for that command, and appears in divaudit(1);
#   - every option of `divaudit-sim --help` appears in divaudit-sim(1);
#   - every table and key of config/divaudit.example.toml appears in divaudit.toml(5);
#   - the man pages render without warnings (groff -man -ww -z; mandoc -Tlint when present);
#   - the completion works in bash (commands, options, IsMember values), with and without the
#     bash-completion package's helpers.
# The help text is parsed independently of the completion generator (which walks CLI11's
# objects), so a generator that misses an option fails here.
# Usage: check_docs.sh <source dir> <divaudit> <divaudit-sim> <completion script>
set -euo pipefail
src=$1
divaudit=$2
sim=$3
completion=$4
status=0
fail() { echo "FAIL: $*"; status=1; }
ok() { echo "ok: $*"; }

# Subcommand names from CLI11's help ("Subcommands:" section).
subcommands() { "$divaudit" --help | sed -n '/^Subcommands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'; }
# Option spellings from CLI11's help: lines "  -c,--config TEXT …".
options_of() { "$@" --help | sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n' | grep '^-'; }
# The words the completion offers for command $1 ("" for the top level).
offered() { sed -n "s/^    '$1') opts='\(.*\)' ;;\$/\1/p" "$completion"; }
# Roff escapes: "-" is written "\-" in the man pages.
in_man() { grep -qF -- "${2//-/\\-}" "$1"; }

mapfile -t cmds < <(subcommands)
[ ${#cmds[@]} -ge 8 ] || fail "parsed only ${#cmds[@]} subcommands from divaudit --help"
top_offered=" $(offered '') "
for opt in $(options_of "$divaudit"); do
  [[ $top_offered == *" $opt "* ]] || fail "completion: top level lacks $opt"
  in_man "$src/man/divaudit.1" "$opt" || fail "divaudit(1) lacks $opt"
done
checked=0
for cmd in "${cmds[@]}"; do
  [[ $top_offered == *" $cmd "* ]] || fail "completion: top level lacks command $cmd"
  grep -qF ".SS \"${cmd//-/\\-}" "$src/man/divaudit.1" || fail "divaudit(1) has no section for $cmd"
  sub_offered=" $(offered "$cmd") "
  for opt in $(options_of "$divaudit" "$cmd"); do
    checked=$((checked + 1))
    [[ $sub_offered == *" $opt "* ]] || fail "completion: divaudit $cmd lacks $opt"
    [[ $opt == -h || $opt == --help || $opt == -c ]] && continue
    in_man "$src/man/divaudit.1" "$opt" || fail "divaudit(1) lacks $opt (of $cmd)"
  done
done
[ $checked -ge 30 ] || fail "parsed only $checked subcommand options"
[ $status = 0 ] && ok "${#cmds[@]} commands and $checked command options: completion and divaudit(1) have them all"

sim_checked=0
for opt in $(options_of "$sim"); do
  sim_checked=$((sim_checked + 1))
  in_man "$src/man/divaudit-sim.1" "$opt" || fail "divaudit-sim(1) lacks $opt"
done
[ $sim_checked -ge 15 ] || fail "parsed only $sim_checked divaudit-sim options"
ok "divaudit-sim(1) checked against $sim_checked options"

keys=0
while read -r key; do
  keys=$((keys + 1))
  grep -qE "^\.(B|BR|SH) .*${key//_/\\\\?_}" "$src/man/divaudit.toml.5" ||
    grep -qE "^\.(B|BR|SH) .*\[{1,2}${key}\]{1,2}" "$src/man/divaudit.toml.5" ||
    fail "divaudit.toml(5) lacks $key"
done < <(sed -n -e 's/^#\{0,1\} *\([a-z_]*\) *=.*/\1/p' -e 's/^\[\{1,2\}\([a-z_]*\)\]\{1,2\}$/\1/p' \
           "$src/config/divaudit.example.toml" | sort -u)
[ $keys -ge 20 ] || fail "parsed only $keys keys from the example config"
ok "divaudit.toml(5) checked against $keys tables and keys"

for page in "$src"/man/*.[15]; do
  out=$(groff -man -ww -z "$page" 2>&1)
  [ -z "$out" ] || fail "groff warnings for $page: $out"
  if command -v mandoc >/dev/null 2>&1; then
    out=$(mandoc -Tlint -Wwarning "$page" 2>&1 || true)
    [ -z "$out" ] || fail "mandoc -Tlint $page: $out"
  fi
done
ok "man pages render without warnings"

# The completion in bash: COMP_WORDS as bash would set them, the result in COMPREPLY.
complete_words() {  # complete_words WITH_BASH_COMPLETION WORD...
  local with=$1
  shift
  bash --norc --noprofile -c '
    if [ "$1" = yes ]; then . /usr/share/bash-completion/bash_completion; fi
    shift
    . "$COMPLETION"
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _divaudit divaudit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    if [ ${#COMPREPLY[@]} -gt 0 ]; then printf "%s\n" "${COMPREPLY[@]}"; fi' _ "$with" "$@" | sort | tr '\n' ' '
}
export COMPLETION=$completion
modes=(no)
[ -f /usr/share/bash-completion/bash_completion ] && modes+=(yes)
for mode in "${modes[@]}"; do
  expect() {  # expect WANT WORD...
    local want=$1
    shift
    local got
    got=$(complete_words "$mode" "$@")
    [ "$got" = "$want" ] || fail "bash-completion=$mode: '$*' completes to '$got', want '$want'"
  }
  expect "findings " divaudit fin
  expect "--state " divaudit findings --st
  expect "all open resolved suppressed " divaudit findings --state ""
  expect "html " divaudit report --format ht
  expect "--fail-on-findings " divaudit sweep --fa
  expect "--log-format --log-level " divaudit run --log-
  expect "json text " divaudit run --log-format ""
  expect "" divaudit sweep --config ""  # a file name: bash's default completion takes over
done
ok "bash completion behaves (bash-completion helpers: ${modes[*]})"
exit $status
