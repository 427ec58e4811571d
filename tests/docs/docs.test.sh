#!/usr/bin/env bash
# Documentation checks: the man pages, shell completions and examples must
# keep up with the binary and the config parser.
#
#   PWS_BIN=./build/pws bash tests/docs/docs.test.sh     (from the repo root)
#
# Checks:
#   - every command and nested subcommand of `pws --help` (CLI11 "Options:"
#     and "Subcommands:" sections, recursively) has its flags in its man
#     page (man/pws-<command>.1, or man/pws.1 for the global options) and in
#     each completion file; every command has a man page and an entry in
#     man/pws.1, every nested subcommand is named in its command's page;
#   - man/pws.1 documents every exit status of cmd/cli.hpp and the
#     environment variables, and shows the cron line;
#   - the bash completion loads and completes `pws ` to every command,
#     `pws apps ` / `pws stats ` to their subcommands, `pws <command> --`
#     to every long flag, --config / --data @ / --batch to file names,
#     --info to its attributes and --app / `apps show` / `apps remove` to
#     the app ids and names of the registry given with --config;
#   - the same completions in fish and zsh (when installed; zsh through a
#     zpty harness), after checking that the zsh and fish files parse;
#   - every man page renders without groff warnings (when man is installed);
#   - every key the config parser reads is documented in man/pws.toml.5 and
#     shown in examples/pws.toml;
#   - examples/pws.toml is accepted: pws starts with it and prints
#     "listening on"; the credentials of examples/laravel.env and
#     examples/node.env publish to that server with `pws trigger`;
#   - examples/deploy-hook.sh passes `bash -n` and, against that server,
#     exits 0 when the event is sent or the server is unreachable (status 3)
#     and 4 when the credentials are rejected;
#   - the command of examples/cron/pws.cron runs (exit 0, silent);
#   - `cmake --install` of the build directory holding PWS_BIN, with
#     DESTDIR and --prefix /usr, installs the binary, every man page and the
#     three completion files.
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
set -uo pipefail

ROOT=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PWS_BIN=${PWS_BIN:-$ROOT/build/pws}
# A relative PWS_BIN is relative to where the test was started.
[[ $PWS_BIN == /* ]] || PWS_BIN=$PWD/$PWS_BIN
cd "$ROOT" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; [[ $# -gt 1 ]] && printf '      %s\n' "${@:2}"; return 0; }
skip() { printf 'skip  %s\n' "$1"; }

COMPLETIONS=(share/completions/pws.bash share/completions/_pws share/completions/pws.fish)
# The commands and nested subcommands the CLI must have (cli-spec), on top
# of whatever --help lists.
REQUIRED_COMMANDS=(serve trigger channels users apps stats)
REQUIRED_APPS_COMMANDS=(add list show remove)
REQUIRED_STATS_COMMANDS=(show clean)

if [[ ! -x $PWS_BIN ]]; then
  echo "docs.test.sh: PWS_BIN=$PWS_BIN is not an executable; build pws first" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
PWS_DIR=$(dirname "$PWS_BIN")

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# Every pws run here: no app from the environment, no config of the user.
mkdir -p "$tmp/home" "$tmp/config" "$tmp/data"
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data
unset PUSHER_APP_ID PUSHER_APP_KEY PUSHER_APP_SECRET PWS_CONFIG PWS_URL

# ---- Flags and subcommands from --help ---------------------------------------

# Flags of one help text: the first column of the option lines of every
# section but "Subcommands:" and "Positionals:", e.g.
# "  -p,--port INT:INT in [0 - 65535]" gives -p and --port.
flags_of() {
  awk '/^[A-Za-z][^:]*:$/ { on = ($0 != "Subcommands:" && $0 != "Positionals:"); next }
       /^[^ ]/ { on = 0 }
       on && /^  +-/ { print $1 }' | tr ',' '\n' | grep -E '^--?[A-Za-z]' | sort -u
}
subcommands_of() {
  awk '/^Subcommands:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  +[a-z]/ { print $1 }'
}
help_of() { "$PWS_BIN" "$@" --help 2>&1; }

# Command paths: "" (pws itself), "serve", "apps", "apps add", ...; their
# flags are path_flags[_<path>] (bash refuses an empty key).
declare -A path_flags=()
paths=("")
main_help=$(help_of)
path_flags[_]=$(flags_of <<<"$main_help" | tr '\n' ' ')
mapfile -t subcommands < <(subcommands_of <<<"$main_help")
declare -A nested=()
for sub in "${subcommands[@]}"; do
  sub_help=$(help_of "$sub")
  paths+=("$sub")
  path_flags[_$sub]=$(flags_of <<<"$sub_help" | tr '\n' ' ')
  mapfile -t subs < <(subcommands_of <<<"$sub_help")
  nested[$sub]="${subs[*]}"
  for n in "${subs[@]}"; do
    paths+=("$sub $n")
    # shellcheck disable=SC2086 # "$sub $n" is two words on purpose
    path_flags["_$sub $n"]=$(flags_of <<<"$(help_of $sub "$n")" | tr '\n' ' ')
  done
done

if [[ ${path_flags[_]} == *--help* && ${path_flags[_]} == *--config* && ${#subcommands[@]} -ge 1 ]]; then
  pass "help parsed: ${#paths[@]} command paths: pws${subcommands[*]/#/ | }"
else
  fail "could not parse the flags out of pws --help" "$main_help"
fi
for p in "${paths[@]:1}"; do
  if [[ ${path_flags[_$p]} == *--help* ]]; then
    pass "help parsed: pws $p: ${path_flags[_$p]}"
  else
    # shellcheck disable=SC2086
    fail "could not parse the flags out of pws $p --help" "$(help_of $p)"
  fi
done

for c in "${REQUIRED_COMMANDS[@]}"; do
  if [[ " ${subcommands[*]} " == *" $c "* ]]; then pass "pws --help lists $c"; else fail "pws --help does not list $c (still to be implemented?)"; fi
done
for c in "${REQUIRED_APPS_COMMANDS[@]}"; do
  if [[ " ${nested[apps]-} " == *" $c "* ]]; then pass "pws apps --help lists $c"; else fail "pws apps --help does not list $c"; fi
done
for c in "${REQUIRED_STATS_COMMANDS[@]}"; do
  if [[ " ${nested[stats]-} " == *" $c "* ]]; then pass "pws stats --help lists $c"; else fail "pws stats --help does not list $c"; fi
done

# What the completions must offer: the required commands and those of --help.
mapfile -t ALL_COMMANDS < <(printf '%s\n' "${REQUIRED_COMMANDS[@]}" "${subcommands[@]}" | sort -u)
read -ra words <<<"${nested[apps]-}"
mapfile -t ALL_APPS_COMMANDS < <(printf '%s\n' "${REQUIRED_APPS_COMMANDS[@]}" "${words[@]}" | sort -u)
read -ra words <<<"${nested[stats]-}"
mapfile -t ALL_STATS_COMMANDS < <(printf '%s\n' "${REQUIRED_STATS_COMMANDS[@]}" "${words[@]}" | sort -u)

# The files are read once; the checks below match in memory (hundreds of
# greps are slow on a busy machine).
declare -A text=()
for file in man/*.1 "${COMPLETIONS[@]}"; do text[$file]=$(<"$file"); done

# A flag appears in a man page as \-\-name (roff) and in a completion file
# as -x/--name, {-x+,--name=}, or fish's "-s x" / "-l name".
in_man() { # flag file
  local escaped=${1//-/\\-} body=${text[$2]-}
  [[ $body == *"$escaped"* ]] || [[ $'\n'$body$'\n' =~ [^A-Za-z0-9-]$1[^A-Za-z0-9-] ]]
}
in_completion() { # flag file
  local flag=$1 body=$'\n'${text[$2]-}$'\n'
  if [[ $2 == *.fish ]]; then
    if [[ $flag == --* ]]; then
      [[ $body =~ (-l|--long-option)[\ =]${flag#--}[^A-Za-z0-9-] ]]
    else
      [[ $body =~ (-s|--short-option)[\ =]${flag#-}[^A-Za-z0-9-] ]]
    fi
  else
    [[ $body =~ [^A-Za-z0-9-]${flag}[^A-Za-z0-9-] ]]
  fi
}

for p in "${paths[@]}"; do
  read -ra flags <<<"${path_flags[_$p]}"
  ((${#flags[@]})) || continue
  command=${p%% *}
  pages=(man/pws.1)
  [[ -n $p ]] && pages=("man/pws-$command.1" man/pws.1)
  missing=()
  for flag in "${flags[@]}"; do
    found=""
    for page in "${pages[@]}"; do [[ -f $page ]] && in_man "$flag" "$page" && found=yes && break; done
    [[ -n $found ]] || missing+=("$flag")
  done
  if ((${#missing[@]} == 0)); then
    pass "pws${p:+ $p}: every flag documented in ${pages[*]}"
  else
    fail "pws${p:+ $p}: ${missing[*]} not documented in ${pages[*]}"
  fi
  for file in "${COMPLETIONS[@]}"; do
    missing=()
    for flag in "${flags[@]}"; do in_completion "$flag" "$file" || missing+=("$flag"); done
    if ((${#missing[@]} == 0)); then
      pass "pws${p:+ $p}: every flag in $file"
    else
      fail "pws${p:+ $p}: ${missing[*]} missing from $file"
    fi
  done
done

for sub in "${subcommands[@]}"; do
  if grep -qE "^\.B $sub\$" man/pws.1 && [[ -f man/pws-$sub.1 ]]; then
    pass "subcommand $sub in man/pws.1 and has man/pws-$sub.1"
  else
    fail "subcommand $sub: needs a .B $sub entry in man/pws.1 and man/pws-$sub.1"
  fi
  if grep -q "pws\\\\-$sub (1)" man/pws.1; then pass "man/pws.1 points to pws-$sub(1)"; else fail "man/pws.1 does not point to pws-$sub(1) (.BR pws\\-$sub (1))"; fi
  for file in "${COMPLETIONS[@]}"; do
    if grep -qw -- "$sub" "$file"; then pass "subcommand $sub completed by $file"; else fail "subcommand $sub is missing from $file"; fi
  done
  for n in ${nested[$sub]}; do
    if grep -qE "^\.S[SH] \"?$sub $n\"?\$" "man/pws-$sub.1" 2>/dev/null; then
      pass "$sub $n has a section in man/pws-$sub.1"
    else
      fail "$sub $n: needs a .SS \"$sub $n\" section in man/pws-$sub.1"
    fi
    for file in "${COMPLETIONS[@]}"; do
      if grep -qw -- "$n" "$file"; then pass "$sub $n completed by $file"; else fail "$sub $n is missing from $file"; fi
    done
  done
done

# ---- pws.1: exit statuses, environment, cron ------------------------------------

# The EXIT STATUS section of a man page, as roff source.
man_section() { # page section
  awk -v s=".SH \"$2\"" -v t=".SH $2" '$0 == s || $0 == t { on = 1; next } /^\.SH / { on = 0 } on' "$1"
}
exit_section=$(man_section man/pws.1 "EXIT STATUS")
mapfile -t exit_codes < <(grep -oE 'kExit[A-Za-z]+ = [0-9]+' cmd/cli.hpp | grep -oE '[0-9]+$')
if ((${#exit_codes[@]} >= 5)); then
  missing=()
  for code in "${exit_codes[@]}"; do grep -qx "\.B $code" <<<"$exit_section" || missing+=("$code"); done
  if ((${#missing[@]} == 0)); then pass "man/pws.1 EXIT STATUS documents ${exit_codes[*]} (cmd/cli.hpp)"; else fail "man/pws.1 EXIT STATUS lacks ${missing[*]}"; fi
else
  fail "found only ${#exit_codes[@]} exit codes in cmd/cli.hpp (enum ExitCode changed shape?)"
fi
env_section=$(man_section man/pws.1 ENVIRONMENT)
missing=()
for var in PWS_CONFIG PWS_URL PUSHER_APP_ID PUSHER_APP_KEY PUSHER_APP_SECRET NO_COLOR XDG_CONFIG_HOME XDG_DATA_HOME; do
  grep -qw -- "$var" <<<"$env_section" || missing+=("$var")
done
if ((${#missing[@]} == 0)); then pass "man/pws.1 ENVIRONMENT lists every variable"; else fail "man/pws.1 ENVIRONMENT lacks ${missing[*]}"; fi
for page in man/pws-*.1; do
  missing=()
  for section in SYNOPSIS OPTIONS "EXIT STATUS" EXAMPLES; do
    grep -qE "^\.SH \"?$section\"?\$" "$page" || missing+=("$section")
  done
  if ((${#missing[@]} == 0)); then pass "$page has SYNOPSIS, OPTIONS, EXIT STATUS and EXAMPLES"; else fail "$page lacks ${missing[*]}"; fi
done
for page in man/pws-trigger.1 man/pws-channels.1 man/pws-users.1 man/pws-apps.1 man/pws-stats.1; do
  if grep -qE '^\.SH OUTPUT$' "$page" && grep -qF '\-\-json' <<<"$(man_section "$page" OUTPUT)"; then
    pass "$page describes its human and --json OUTPUT"
  else
    fail "$page needs an OUTPUT section covering --json"
  fi
done

cron_line=$(grep -vE '^[[:space:]]*(#|$)' examples/cron/pws.cron 2>/dev/null | head -n 1)
if [[ $cron_line == "0 3 * * * pws stats clean --older-than 60d --quiet" ]]; then
  pass "examples/cron/pws.cron: $cron_line"
else
  fail "examples/cron/pws.cron does not hold the stats clean line" "got: $cron_line"
fi
roff_cron='0 3 * * * pws stats clean \-\-older\-than 60d \-\-quiet'
for page in man/pws.1 man/pws-stats.1; do
  if grep -qxF -- "$roff_cron" "$page"; then pass "$page shows the cron line"; else fail "$page does not show the cron line"; fi
done

# ---- A registry for the completion checks ----------------------------------------

registry=$tmp/registry.toml
cat >"$registry" <<'EOF'
[[apps]]
id = "4711"
key = "docs-key-1"
secret = "docs-secret-1"
name = "docsshop"

[[apps]]
id = "4712"
key = "docs-key-2"
secret = "docs-secret-2"
name = "docsblog"
EOF
# The completions run `pws` from PATH, as an installed one would.
export PATH=$PWS_DIR:$PATH
if out=$(pws --config "$registry" apps list --json 2>&1) && [[ $out == *'"4711"'* && $out == *docsblog* ]]; then
  pass "pws apps list --json lists the registry apps the completions read"
else
  fail "pws apps list --json does not list the apps of $registry (app completion cannot work)" "got: $out"
fi
APP_WORDS=(4711 4712 docsshop docsblog)

# expect_words "what" "<output>" word...: every word is a line of output.
expect_words() {
  local what=$1 out=$2 word missing=()
  shift 2
  for word in "$@"; do [[ $'\n'$out$'\n' == *$'\n'"$word"$'\n'* ]] || missing+=("$word"); done
  if ((${#missing[@]} == 0)); then pass "$what"; else fail "$what: misses ${missing[*]}" "got: $(tr '\n' ' ' <<<"$out")"; fi
}
# expect_flags "what" "<output>" path: every long flag of `pws <path> --help`.
expect_flags() {
  local what=$1 out=$2 flag longs=()
  read -ra flags <<<"${path_flags[_$3]}"
  for flag in "${flags[@]}"; do [[ $flag == --* && $flag != --version ]] && longs+=("$flag"); done
  expect_words "$what" "$out" "${longs[@]}"
}

# ---- Bash completion behaviour -------------------------------------------------

if out=$(bash -c 'source share/completions/pws.bash && complete -p pws' 2>&1) && [[ $out == *"-F _pws"* ]]; then
  pass "bash completion registers: $out"
else
  fail "bash completion does not register with complete -F _pws pws" "$out"
fi

# Completes the words "$@" (the last one being completed) like bash would.
bash_complete() {
  bash -c 'source share/completions/pws.bash
           COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
           COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
           _pws pws "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
           printf "%s\n" "${COMPREPLY[@]}"' _ "$@" 2>&1
}

expect_words "bash: 'pws <TAB>' offers every command" "$(bash_complete pws "")" "${ALL_COMMANDS[@]}"
expect_words "bash: 'pws apps <TAB>' offers its subcommands" "$(bash_complete pws apps "")" "${ALL_APPS_COMMANDS[@]}"
expect_words "bash: 'pws stats <TAB>' offers its subcommands" "$(bash_complete pws stats "")" "${ALL_STATS_COMMANDS[@]}"
for p in "${paths[@]}"; do
  # shellcheck disable=SC2086
  expect_flags "bash: 'pws${p:+ $p} --<TAB>' offers every long flag" "$(bash_complete pws $p --)" "$p"
done

expect_words "bash: --config completes file names" "$(bash_complete pws --config examples/pws.t)" examples/pws.toml
expect_words "bash: trigger --data @ completes file names" "$(bash_complete pws trigger --data @examples/pws.t)" @examples/pws.toml
expect_words "bash: trigger --batch completes file names" "$(bash_complete pws trigger --batch examples/pws.t)" examples/pws.toml
expect_words "bash: --info offers its attributes" "$(bash_complete pws channels --info "")" user_count subscription_count
expect_words "bash: --info completes after a comma" "$(bash_complete pws channels --info user_count,s)" user_count,subscription_count
out=$(bash_complete pws trigger --channel "")
if [[ -z $out ]]; then pass "bash: --channel offers nothing"; else fail "bash: --channel should offer nothing" "got: $out"; fi
expect_words "bash: trigger --app offers the registry's apps" "$(bash_complete pws --config "$registry" trigger --app "")" "${APP_WORDS[@]}"
expect_words "bash: stats show --app (config after) offers the apps" "$(bash_complete pws stats show --config "$registry" --app "")" "${APP_WORDS[@]}"
expect_words "bash: 'apps show <TAB>' offers the apps" "$(bash_complete pws --config "$registry" apps show "")" "${APP_WORDS[@]}"
expect_words "bash: 'apps remove d<TAB>' offers the app names" "$(bash_complete pws -c "$registry" apps remove d)" docsshop docsblog
out=$(bash_complete pws --config "$tmp/nonexistent.toml" trigger --app "")
if [[ -z $out ]]; then pass "bash: --app with a missing registry fails silently"; else fail "bash: --app with a missing registry printed something" "got: $out"; fi

# ---- fish and zsh completions ------------------------------------------------------

# The command lines to complete, and what each must offer (the same checks
# as for bash). Each shell completes all of them in one process.
queries=("pws " "pws apps " "pws stats ")
declare -A query_what=(["pws "]="'pws <TAB>' offers every command" ["pws apps "]="'pws apps <TAB>' offers its subcommands"
  ["pws stats "]="'pws stats <TAB>' offers its subcommands")
declare -A query_words=(["pws "]="${ALL_COMMANDS[*]}" ["pws apps "]="${ALL_APPS_COMMANDS[*]}"
  ["pws stats "]="${ALL_STATS_COMMANDS[*]}")
declare -A query_path=()
for p in "${paths[@]}"; do
  q="pws${p:+ $p} --"
  queries+=("$q")
  query_what[$q]="'$q<TAB>' offers every long flag"
  query_path[$q]=$p
done
more=("pws channels --info |--info offers its attributes|user_count subscription_count"
  "pws trigger --data @examples/pws.t|--data @ completes file names|@examples/pws.toml pws.toml"
  "pws --config $registry trigger --app |--app offers the registry's apps|${APP_WORDS[*]}"
  "pws --config $registry apps show |'apps show <TAB>' offers the apps|${APP_WORDS[*]}")
for m in "${more[@]}"; do
  IFS='|' read -r q what words <<<"$m"
  queries+=("$q")
  query_what[$q]=$what
  query_words[$q]=$words
done

# check_completions shell: reads "== <line>" headers, each followed by the
# candidates for that line, from stdin, and checks every query.
check_completions() {
  local shell=$1 line q="" word
  declare -A got=()
  while IFS= read -r line; do
    if [[ $line == "== "* ]]; then q=${line#== }; got[$q]=""; elif [[ -n $q ]]; then got[$q]+=$line$'\n'; fi
  done
  for q in "${queries[@]}"; do
    if [[ -n ${query_path[$q]+set} ]]; then
      expect_flags "$shell: ${query_what[$q]}" "${got[$q]-}" "${query_path[$q]}"
    elif [[ $q == *"--data @"* && $shell == zsh ]]; then
      # zsh completes the part after "@" (compset -P).
      expect_words "$shell: ${query_what[$q]}" "${got[$q]-}" pws.toml
    elif [[ $q == *"--data @"* ]]; then
      expect_words "$shell: ${query_what[$q]}" "${got[$q]-}" @examples/pws.toml
    else
      read -ra words <<<"${query_words[$q]}"
      expect_words "$shell: ${query_what[$q]}" "${got[$q]-}" "${words[@]}"
    fi
  done
}

if command -v fish >/dev/null 2>&1; then
  if out=$(fish --no-config -c 'source share/completions/pws.fish' 2>&1) && [[ -z $out ]]; then
    pass "fish: pws.fish loads"
  else
    fail "fish: pws.fish does not load" "$out"
  fi
  # shellcheck disable=SC2016 # fish code
  timeout 60 fish --no-config -c 'source share/completions/pws.fish
    for line in $argv; echo "== $line"; complete -C"$line" | string replace -r "\t.*" ""; end' "${queries[@]}" 2>&1 |
    check_completions fish
else
  skip "fish not installed: pws.fish not checked"
fi

# zsh completes in an interactive shell on a pseudo-terminal (zpty), with
# compadd wrapped to print every candidate; one session completes every
# argument. "zzprobe " completes to alpha and beta when the harness itself
# works.
cat >"$tmp/zsh-complete.zsh" <<'EOF'
zmodload zsh/zpty || exit 1
zpty z zsh -f -i
zpty -w z "PROMPT=; fpath=($COMPDIR \$fpath); autoload -U compinit; compinit -u -d $ZDUMP"
zpty -w z 'compdef _zz_probe zzprobe; _zz_probe() { compadd alpha beta }'
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; typeset -a __hits; builtin compadd -A __hits "$@"; local h; for h in $__hits; do print -r -- "H${:-IT}:$h"; done; builtin compadd "$@"; }'
zpty -w z '_zz_main() { _main_complete "$@"; local r=$?; print -r -- "END${:-OFCOMP}"; return r }; zle -C zz-complete complete-word _zz_main; bindkey "^I" zz-complete'
local line out chunk
for line in "$@"; do
  out=
  zpty -n -w z $'\C-u'"$line"$'\t'
  while zpty -r z chunk; do out+=$chunk; [[ $out == *$'\n'ENDOFCOMP* ]] && break; done
  print -r -- "== $line"
  print -r -- ${out%%$'\n'ENDOFCOMP*} | tr -d '\r' | grep -ao 'HIT:.*' | sed 's/^HIT://' | sort -u
done
zpty -d z
EOF

if command -v zsh >/dev/null 2>&1; then
  if out=$(zsh -n share/completions/_pws 2>&1); then pass "zsh: _pws parses"; else fail "zsh: _pws does not parse" "$out"; fi
  ZDUMP=$tmp/zcompdump COMPDIR=$ROOT/share/completions timeout 60 zsh -f "$tmp/zsh-complete.zsh" "zzprobe " "${queries[@]}" \
    >"$tmp/zsh.out" 2>/dev/null
  if [[ $(sed -n '/^== zzprobe /,/^== /p' "$tmp/zsh.out" | grep -v '^==' | tr '\n' ' ') == "alpha beta " ]]; then
    check_completions zsh <"$tmp/zsh.out"
  else
    skip "zsh: the zpty harness does not work here: _pws only parsed"
  fi
else
  skip "zsh not installed: _pws not checked"
fi

# ---- Man pages render without warnings -----------------------------------------

if command -v man >/dev/null 2>&1; then
  for page in man/*.1 man/*.5; do
    # --warnings=w: every groff warning (a superset of plain --warnings).
    out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings=w -E UTF-8 -l "$page" 2>&1 >/dev/null)
    if [[ -z $out ]]; then pass "$page renders without warnings"; else fail "$page renders with warnings" "$out"; fi
  done
else
  skip "man not installed: man pages not rendered"
fi

# ---- Config keys documented ----------------------------------------------------

# Every key and table the parser reads: reader.read("key"), reader.get("key"),
# reader.read_table("table"), read_required(reader, "key") and the
# {"key", &AppLimits::...} table of limits. Tables come out as "[name]", so a
# table and a key of the same name ([webhooks] and an app's webhooks) are
# checked apart.
mapfile -t config_keys < <(
  grep -oE '(reader\.(read|get|read_table)\("[a-z_]+"|read_required\(reader, "[a-z_]+"|\{"[a-z_]+", &AppLimits::)' \
    lib/registry/config_parse.cpp |
    sed -E 's/^reader\.read_table\("([a-z_]+)"$/[\1]/; s/^[^[][^"]*"([a-z_]+)".*$/\1/' | sort -u
)
if ((${#config_keys[@]} >= 30)); then
  pass "${#config_keys[@]} config keys and tables found in lib/registry/config_parse.cpp"
else
  fail "only ${#config_keys[@]} config keys found in lib/registry/config_parse.cpp (parser changed shape?)"
fi
for key in "${config_keys[@]}"; do
  # Tables are section headings in the man page and headers in the example;
  # keys are \fBkey\fR in the man page and "key =" (maybe commented out).
  case $key in
    '[server]') man_re='^\.SH "\[server\]"'; example_re='^\[server\]' ;;
    '[tls]') man_re='^\.SH "\[server\.tls\]"'; example_re='^#? *\[server\.tls\]' ;;
    '[statistics]') man_re='^\.SH "\[statistics\]"'; example_re='^#? *\[statistics\]' ;;
    '[metrics]') man_re='^\.SH "\[metrics\]"'; example_re='^#? *\[metrics\]' ;;
    '[dashboard]') man_re='^\.SH "\[dashboard\]"'; example_re='^#? *\[dashboard\]' ;;
    '[webhooks]') man_re='^\.SH "\[webhooks\]"'; example_re='^#? *\[webhooks\]' ;;
    '[redis]') man_re='^\.SH "\[redis\]"'; example_re='^#? *\[redis\]' ;;
    '[limits]') man_re='^\.SH "\[limits\]"'; example_re='^\[limits\]' ;;
    apps) man_re='^\.SH "\[\[apps\]\]"'; example_re='^\[\[apps\]\]' ;;
    webhooks) man_re='\\fBwebhooks\\fR'; example_re='^#? *\[\[apps\.webhooks\]\]' ;;
    *) man_re="\\\\fB$key\\\\fR"; example_re="^#? *$key =" ;;
  esac
  if grep -qE -- "$man_re" man/pws.toml.5; then pass "config $key in man/pws.toml.5"; else fail "config $key is not documented in man/pws.toml.5"; fi
  if grep -qE -- "$example_re" examples/pws.toml; then pass "config $key in examples/pws.toml"; else fail "config $key is missing from examples/pws.toml"; fi
done
# Every key of [statistics], [metrics], [webhooks] and [redis] in its own section of the page.
for table in statistics metrics webhooks redis; do
  section=$(man_section man/pws.toml.5 "[$table]")
  fn=read_$table
  [[ $table == webhooks ]] && fn=read_webhooks_settings  # read_webhooks reads an app's endpoints
  mapfile -t keys < <(awk -v f="void $fn(" 'index($0, f) == 1 { on = 1 } on && /^}/ { on = 0 } on' lib/registry/config_parse.cpp |
    grep -oE 'reader\.read\("[a-z_]+"' | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u)
  missing=()
  for key in "${keys[@]}"; do grep -qF "\\fB$key\\fR" <<<"$section" || missing+=("$key"); done
  if ((${#keys[@]} == 0)); then
    fail "no keys of [$table] found in $fn of lib/registry/config_parse.cpp"
  elif ((${#missing[@]} == 0)); then
    pass "[$table] section of man/pws.toml.5 documents ${keys[*]}"
  else
    fail "[$table] section of man/pws.toml.5 lacks ${missing[*]}"
  fi
done
if grep -qF 'GET /metrics' man/pws.toml.5 && grep -qF 'Authorization: Bearer' man/pws.toml.5; then
  pass "man/pws.toml.5 documents GET /metrics and its bearer token"
else
  fail "man/pws.toml.5 must document GET /metrics and 'Authorization: Bearer <token>'"
fi

# ---- examples/pws.toml starts a server; the examples publish to it ------------------

# A copy, so that nothing (such as the statistics database beside the file)
# is written into the source tree.
cp examples/pws.toml "$tmp/pws.toml"
pws --config "$tmp/pws.toml" serve --port 0 --host 127.0.0.1 >"$tmp/out" 2>&1 &
server_pid=$!
started=""
for _ in $(seq 100); do
  grep -q 'listening on' "$tmp/out" && started=yes && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
port=""
if [[ -n $started ]]; then
  pass "examples/pws.toml accepted: $(grep -m1 'listening on' "$tmp/out")"
  port=$(grep -m1 -oE 'listening on [^ ]*:[0-9]+' "$tmp/out" | grep -oE '[0-9]+$')
else
  fail "pws did not start with examples/pws.toml" "$(cat "$tmp/out")"
fi

# Sets PUSHER_* from an env file (KEY=value lines, comments skipped).
env_value() { grep -E "^$2=" "$1" | head -n 1 | cut -d= -f2- | tr -d '"'; }
for file in examples/laravel.env examples/node.env; do
  missing=()
  required=(PUSHER_APP_ID PUSHER_APP_KEY PUSHER_APP_SECRET PUSHER_HOST PUSHER_PORT PUSHER_SCHEME)
  [[ $file == *laravel* ]] && required+=(BROADCAST_DRIVER PUSHER_APP_CLUSTER)
  for var in "${required[@]}"; do grep -qE "^$var=." "$file" || missing+=("$var"); done
  [[ $file == *laravel* ]] && ! grep -qx 'BROADCAST_DRIVER=pusher' "$file" && missing+=("BROADCAST_DRIVER=pusher")
  if ((${#missing[@]} == 0)); then pass "$file sets ${required[*]}"; else fail "$file lacks ${missing[*]}"; fi
  if [[ -n $port ]]; then
    if out=$(PUSHER_APP_ID=$(env_value "$file" PUSHER_APP_ID) PUSHER_APP_KEY=$(env_value "$file" PUSHER_APP_KEY) \
      PUSHER_APP_SECRET=$(env_value "$file" PUSHER_APP_SECRET) \
      pws trigger --url "http://127.0.0.1:$port" --channel docs --event check --data '{}' 2>&1); then
      pass "$file: its credentials publish to the examples/pws.toml server"
    else
      fail "$file: pws trigger with its credentials failed (status $?)" "$out"
    fi
  fi
done

if out=$(bash -n examples/deploy-hook.sh 2>&1); then pass "examples/deploy-hook.sh passes bash -n"; else fail "examples/deploy-hook.sh: bash -n fails" "$out"; fi
if [[ -n $port ]]; then
  # deploy_hook status-wanted secret url: runs the hook with the credentials
  # of the examples' first app (and the given secret).
  deploy_hook() {
    local want=$1 secret=$2 url=$3 out status
    out=$(PUSHER_APP_ID=1001 PUSHER_APP_KEY=example-key PUSHER_APP_SECRET=$secret PWS_URL=$url \
      bash examples/deploy-hook.sh v9.9.9 2>&1)
    status=$?
    if ((status == want)); then pass "deploy-hook.sh exits $want: $(head -n 1 <<<"$out")"; else fail "deploy-hook.sh exited $status, not $want" "$out"; fi
  }
  deploy_hook 0 example-secret-change-me "http://127.0.0.1:$port"
  deploy_hook 4 wrong-secret "http://127.0.0.1:$port"
  # Nothing listens on port 1: unreachable (3), which the hook only warns about.
  deploy_hook 0 example-secret-change-me "http://127.0.0.1:1"
fi

kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=""

# ---- The cron line runs ------------------------------------------------------------

cat >"$tmp/cron.toml" <<EOF
[statistics]
database = "$tmp/cron-statistics.sqlite"
EOF
if [[ -n $cron_line ]]; then
  read -r _ _ _ _ _ command <<<"$cron_line"
  # shellcheck disable=SC2086 # the crontab command is split into words like sh would
  out=$(PWS_CONFIG=$tmp/cron.toml $command 2>&1)
  status=$?
  if ((status == 0)) && [[ -z $out ]]; then
    pass "the cron command runs silently: $command"
  else
    fail "the cron command '$command' exited $status or printed something" "$out"
  fi
fi

# ---- make install ------------------------------------------------------------------

if [[ -f $PWS_DIR/cmake_install.cmake ]]; then
  dest=$tmp/destdir
  if out=$(DESTDIR=$dest cmake --install "$PWS_DIR" --prefix /usr 2>&1); then
    pass "cmake --install $PWS_DIR --prefix /usr with DESTDIR"
    wanted=(usr/bin/pws usr/share/man/man5/pws.toml.5
      usr/share/bash-completion/completions/pws usr/share/zsh/vendor-completions/_pws
      usr/share/fish/vendor_completions.d/pws.fish)
    for page in man/*.1; do wanted+=("usr/share/man/man1/${page#man/}"); done
    for c in "${REQUIRED_COMMANDS[@]}"; do
      [[ " ${wanted[*]} " == *" usr/share/man/man1/pws-$c.1 "* ]] || wanted+=("usr/share/man/man1/pws-$c.1")
    done
    missing=()
    for file in "${wanted[@]}"; do [[ -f $dest/$file ]] || missing+=("$file"); done
    if ((${#missing[@]} == 0)); then pass "install puts in place ${#wanted[@]} files: bin/pws, man1, man5, completions"; else fail "install misses ${missing[*]}"; fi
    stray=$(find "$dest/usr/share/man" -name '*.5' -path '*man1*' -o -name '*.1' -path '*man5*')
    if [[ -z $stray ]]; then pass "install puts no page in the wrong man section"; else fail "pages in the wrong man section" "$stray"; fi
  else
    fail "cmake --install $PWS_DIR failed" "$out"
  fi
else
  skip "$PWS_DIR is not a CMake build directory: install not checked"
fi

echo "$passed passed, $failed failed"
((failed == 0))
