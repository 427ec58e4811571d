#!/usr/bin/env bash
# Documentation checks: the man pages, shell completions and example config
# must keep up with the binary and the config parser.
#
#   PWS_BIN=./build/pws bash tests/docs/docs.test.sh     (from the repo root)
#
# Checks:
#   - every flag and subcommand in `pws --help` / `pws serve --help` is in
#     man/pws.1 or man/pws-serve.1 and in each completion file;
#   - the bash completion loads (`complete -p pws`) and completes `pws `
#     to `serve` and `pws serve --` to the serve flags;
#   - the zsh and fish completions parse (when zsh / fish are installed);
#   - every man page renders without groff warnings (when man is installed);
#   - every key the config parser reads is documented in man/pws.toml.5 and
#     shown in examples/pws.toml;
#   - examples/pws.toml is accepted: pws starts with it and prints
#     "listening on".
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

MAN_PAGES=(man/pws.1 man/pws-serve.1 man/pws.toml.5)
COMPLETIONS=(share/completions/pws.bash share/completions/_pws share/completions/pws.fish)

if [[ ! -x $PWS_BIN ]]; then
  echo "docs.test.sh: PWS_BIN=$PWS_BIN is not an executable; build pws first" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# ---- Flags and subcommands from --help ---------------------------------------

# Flags of one help text: the first column of the lines under "Options:",
# e.g. "  -p,--port INT:INT in [0 - 65535]" gives -p and --port.
flags_of() {
  awk '/^Options:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  +-/ { print $1 }' | tr ',' '\n' | grep -E '^--?[A-Za-z]'
}
subcommands_of() {
  awk '/^Subcommands:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^  +[a-z]/ { print $1 }'
}

main_help=$("$PWS_BIN" --help 2>&1)
serve_help=$("$PWS_BIN" serve --help 2>&1)
mapfile -t main_flags < <(flags_of <<<"$main_help")
mapfile -t serve_flags < <(flags_of <<<"$serve_help")
mapfile -t subcommands < <(subcommands_of <<<"$main_help")

if ((${#main_flags[@]} >= 3 && ${#serve_flags[@]} >= 3 && ${#subcommands[@]} >= 1)); then
  pass "help parsed: ${main_flags[*]} | ${subcommands[*]} | serve: ${serve_flags[*]}"
else
  fail "could not parse the flags out of --help" "$main_help" "$serve_help"
fi

# A flag appears in a man page as \-\-name (roff) and in a completion file
# as -x/--name, {-x+,--name=}, or fish's "-s x" / "-l name".
in_man() { # flag file
  local escaped=${1//-/\\-}
  grep -qF -- "$escaped" "$2" || grep -qE -- "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|\$)" "$2"
}
in_completion() { # flag file
  local flag=$1 file=$2
  if [[ $file == *.fish ]]; then
    if [[ $flag == --* ]]; then
      grep -qE -- "(-l|--long-option)[ =]${flag#--}([^A-Za-z0-9-]|\$)" "$file"
    else
      grep -qE -- "(-s|--short-option)[ =]${flag#-}([^A-Za-z0-9-]|\$)" "$file"
    fi
  else
    grep -qE -- "(^|[^A-Za-z0-9-])$flag([^A-Za-z0-9-]|\$)" "$file"
  fi
}

check_flag() { # flag, man pages to look in...
  local flag=$1 page found=""
  shift
  for page in "$@"; do in_man "$flag" "$page" && found=$page && break; done
  if [[ -n $found ]]; then pass "$flag documented in $found"; else fail "$flag is not in $*"; fi
  local file
  for file in "${COMPLETIONS[@]}"; do
    if in_completion "$flag" "$file"; then pass "$flag completed by $file"; else fail "$flag is missing from $file"; fi
  done
}

for flag in "${main_flags[@]}"; do check_flag "$flag" man/pws.1; done
for flag in "${serve_flags[@]}"; do check_flag "$flag" man/pws-serve.1 man/pws.1; done

for sub in "${subcommands[@]}"; do
  if grep -qE "^\.B $sub\$" man/pws.1 && [[ -f man/pws-$sub.1 ]]; then
    pass "subcommand $sub in man/pws.1 and has man/pws-$sub.1"
  else
    fail "subcommand $sub: needs a .B $sub entry in man/pws.1 and man/pws-$sub.1"
  fi
  for file in "${COMPLETIONS[@]}"; do
    if grep -qw -- "$sub" "$file"; then pass "subcommand $sub completed by $file"; else fail "subcommand $sub is missing from $file"; fi
  done
done

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

out=$(bash_complete pws "")
if grep -qx serve <<<"$out"; then pass "bash: 'pws <TAB>' offers serve"; else fail "bash: 'pws <TAB>' does not offer serve" "got: $out"; fi

out=$(bash_complete pws serve --)
missing=()
for flag in "${serve_flags[@]}"; do
  [[ $flag == --* ]] && ! grep -qx -- "$flag" <<<"$out" && missing+=("$flag")
done
if ((${#missing[@]} == 0)); then pass "bash: 'pws serve --<TAB>' offers every long serve flag"; else fail "bash: 'pws serve --<TAB>' misses ${missing[*]}" "got: $out"; fi

out=$(bash_complete pws --config examples/pws.t)
if grep -qx examples/pws.toml <<<"$out"; then pass "bash: --config completes file names"; else fail "bash: --config does not complete file names" "got: $out"; fi

# ---- zsh and fish completions parse ------------------------------------------

if command -v zsh >/dev/null 2>&1; then
  if out=$(zsh -n share/completions/_pws 2>&1); then pass "zsh: _pws parses"; else fail "zsh: _pws does not parse" "$out"; fi
else
  skip "zsh not installed: _pws not parsed"
fi
if command -v fish >/dev/null 2>&1; then
  if out=$(fish --no-config -c 'source share/completions/pws.fish; complete -C "pws "' 2>&1) && grep -q '^serve' <<<"$out"; then
    pass "fish: pws.fish loads and 'pws <TAB>' offers serve"
  else
    fail "fish: pws.fish does not load or does not offer serve" "$out"
  fi
else
  skip "fish not installed: pws.fish not loaded"
fi

# ---- Man pages render without warnings -----------------------------------------

if command -v man >/dev/null 2>&1; then
  for page in "${MAN_PAGES[@]}"; do
    out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
    if [[ -z $out ]]; then pass "$page renders without warnings"; else fail "$page renders with warnings" "$out"; fi
  done
else
  skip "man not installed: man pages not rendered"
fi

# ---- Config keys documented ----------------------------------------------------

# Every key and table the parser reads: reader.read("key"), reader.get("key"),
# reader.read_table("table"), read_required(reader, "key") and the
# {"key", &AppLimits::...} table of limits.
mapfile -t config_keys < <(
  grep -oE '(reader\.(read|get|read_table)\("[a-z_]+"|read_required\(reader, "[a-z_]+"|\{"[a-z_]+", &AppLimits::)' \
    lib/registry/config_parse.cpp | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u
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
    server) man_re='^\.SH "\[server\]"'; example_re='^\[server\]' ;;
    tls) man_re='^\.SH "\[server\.tls\]"'; example_re='^#? *\[server\.tls\]' ;;
    limits) man_re='^\.SH "\[limits\]"'; example_re='^\[limits\]' ;;
    apps) man_re='^\.SH "\[\[apps\]\]"'; example_re='^\[\[apps\]\]' ;;
    *) man_re="\\\\fB$key\\\\fR"; example_re="^#? *$key =" ;;
  esac
  if grep -qE -- "$man_re" man/pws.toml.5; then pass "config $key in man/pws.toml.5"; else fail "config $key is not documented in man/pws.toml.5"; fi
  if grep -qE -- "$example_re" examples/pws.toml; then pass "config $key in examples/pws.toml"; else fail "config $key is missing from examples/pws.toml"; fi
done

# ---- examples/pws.toml starts a server -------------------------------------------

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A clean environment: no app from PUSHER_APP_*, no config written to $HOME.
env -u PUSHER_APP_ID -u PUSHER_APP_KEY -u PUSHER_APP_SECRET -u PWS_CONFIG HOME="$tmp" XDG_CONFIG_HOME="$tmp/config" \
  "$PWS_BIN" --config examples/pws.toml serve --port 0 --host 127.0.0.1 >"$tmp/out" 2>&1 &
pid=$!
started=""
for _ in $(seq 100); do
  grep -q 'listening on' "$tmp/out" && started=yes && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [[ -n $started ]]; then
  pass "examples/pws.toml accepted: $(grep -m1 'listening on' "$tmp/out")"
else
  fail "pws did not start with examples/pws.toml" "$(cat "$tmp/out")"
fi

echo "$passed passed, $failed failed"
((failed == 0))
