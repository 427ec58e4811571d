#!/usr/bin/env bash
# Deploy hook: announce a deploy to the browsers of an app through pws, so
# that open pages can tell their users and reload. Run it at the end of a
# deploy (a CI job, a git post-receive hook, Envoyer/Deployer "after" step):
#
#   examples/deploy-hook.sh v1.4.2
#
# Which app and server: PWS_APP (an app id or name of the registry; unset =
# the only app, or PUSHER_APP_ID/KEY/SECRET when all three are set), PWS_URL
# (unset = from [server] of pws.toml), PWS_CONFIG (the pws.toml to read).
# PWS_CHANNEL and PWS_EVENT name what is sent (default "deploys" and
# "deployed"). The browsers subscribe with, for example:
#
#   Echo.channel('deploys').listen('.deployed', (e) => showBanner(e.version));
#
# pws's exit statuses tell the failures apart (see pws(1)):
#   0 sent   1 the server refused the event   2 bad usage / no such app
#   3 server unreachable   4 credentials rejected (HTTP 401/403)
# A deploy should not fail because pws is down, so status 3 only warns;
# wrong credentials (4) are a configuration mistake worth failing on.
set -uo pipefail

version=${1:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
channel=${PWS_CHANNEL:-deploys}
event=${PWS_EVENT:-deployed}
host=$(hostname 2>/dev/null || uname -n)
when=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# A JSON object built without jq; the values are plain words here, but
# escape backslashes and quotes anyway.
json_string() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}
data="{\"version\":$(json_string "$version"),\"host\":$(json_string "$host"),\"time\":$(json_string "$when")}"

args=(--channel "$channel" --event "$event" --data "$data" --timeout 5 --quiet)
[[ -n ${PWS_APP:-} ]] && args+=(--app "$PWS_APP")

pws trigger "${args[@]}"
status=$?

case $status in
  0)
    echo "deploy-hook: announced $version on $channel"
    ;;
  3)
    echo "deploy-hook: warning: pws is unreachable; deploy of $version not announced" >&2
    exit 0
    ;;
  4)
    echo "deploy-hook: error: pws rejected the app credentials (check PWS_APP or PUSHER_APP_*)" >&2
    exit 4
    ;;
  2)
    echo "deploy-hook: error: pws usage error (unknown app? see the message above)" >&2
    exit 2
    ;;
  *)
    echo "deploy-hook: error: pws trigger failed with status $status" >&2
    exit 1
    ;;
esac
