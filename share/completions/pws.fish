# fish completion for pws(1). Installed into
# $datadir/fish/vendor_completions.d; to try it without installing:
# source share/completions/pws.fish
#
# Keep in step with cmd/*.cpp: tests/docs/docs.test.sh checks that every
# flag of `pws [<command> [<subcommand>]] --help` appears here.

# The words typed so far that are neither options nor option values: the
# command, the subcommand and their arguments.
function __pws_positionals
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip_next 0
    for token in $tokens
        if test $skip_next -eq 1
            set skip_next 0
            continue
        end
        switch $token
            case -c --config --host -p --port --url --app --timeout --channel --event --data \
                --socket-id --info --prefix --name --id --key --secret --since --older-than --type \
                --trigger-url --app-id --connections --channels --events --rate --duration --sources \
                --server-pid --probe-every --batch-ms --max-inflight --trigger-connections
                set skip_next 1
            case '-*'
            case '*'
                echo $token
        end
    end
end

# True while no command has been typed yet.
function __pws_needs_command
    test (count (__pws_positionals)) -eq 0
end

# __pws_is CMD [SUB]: the command (and subcommand) typed are these.
function __pws_is
    set -l words (__pws_positionals)
    test (count $words) -ge (count $argv); or return 1
    for i in (seq (count $argv))
        test "$words[$i]" = "$argv[$i]"; or return 1
    end
end

# __pws_needs_sub CMD: CMD typed, its subcommand not yet.
function __pws_needs_sub
    set -l words (__pws_positionals)
    test (count $words) -eq 1 -a "$words[1]" = "$argv[1]"
end

# __pws_npositionals N: exactly N positional words typed.
function __pws_npositionals
    test (count (__pws_positionals)) -eq $argv[1]
end

# The apps of the registry (ids, then names with their id), from
# `pws [--config FILE] apps list --json`, parsed without jq; silent on failure.
function __pws_registry_apps
    set -l tokens (commandline -opc)
    set -l args
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case -c --config
                set -l next (math $i + 1)
                test $next -le (count $tokens); and set args --config $tokens[$next]
            case '--config=?*'
                set args --config (string replace -- --config= '' $tokens[$i])
        end
    end
    command -q $tokens[1]; or return 0
    set -l json (command $tokens[1] $args apps list --json 2>/dev/null </dev/null | string collect); or return 0
    string match -ar '"id"\s*:\s*"[^"]*"' -- $json | string replace -r '.*"([^"]*)"$' '$1\tapp id'
    string match -ar '"name"\s*:\s*"[^"]*"' -- $json | string replace -r '.*"([^"]*)"$' '$1\tapp name'
end

# --info: a comma-separated list of attributes.
function __pws_info_values
    set -l token (commandline -ct)
    set -l done_part ''
    string match -q '*,*' -- $token; and set done_part (string replace -r '[^,]*$' '' -- $token)
    for attr in user_count subscription_count
        string match -q "*$attr,*" -- "$done_part"; and continue
        echo $done_part$attr
    end
end

# --type (pws tail): a comma-separated list of event types.
function __pws_type_values
    set -l token (commandline -ct)
    set -l done_part ''
    string match -q '*,*' -- $token; and set done_part (string replace -r '[^,]*$' '' -- $token)
    for type in connected disconnected subscribed unsubscribed occupied vacated member_added member_removed \
        client_event api_message error
        string match -q "*,$type,*" -- ",$done_part"; and continue
        echo $done_part$type
    end
end

# --data: JSON, or @FILE.
function __pws_data_values
    set -l token (commandline -ct)
    if string match -q '@*' -- $token
        for file in (__fish_complete_path (string sub -s 2 -- $token))
            echo @$file
        end
    end
end

complete -c pws -f

# Global options (accepted before and after the command).
complete -c pws -s c -l config -r -F -d 'Read the configuration (app registry) from this file'
complete -c pws -l json -d 'Print machine-readable JSON on stdout'
complete -c pws -s q -l quiet -d 'Print nothing on success'
complete -c pws -s v -l verbose -d 'Print progress details on stderr'
complete -c pws -s h -l help -d 'Print help and exit'
complete -c pws -n __pws_needs_command -l version -d 'Print the version and exit'

# Commands.
complete -c pws -n __pws_needs_command -a serve -d 'Run the Pusher-compatible WebSocket and HTTP API server'
complete -c pws -n __pws_needs_command -a trigger -d 'Publish an event on channels, or a batch of events'
complete -c pws -n __pws_needs_command -a channels -d 'List the occupied channels, or show one channel'
complete -c pws -n __pws_needs_command -a users -d 'List the users of a presence channel'
complete -c pws -n __pws_needs_command -a tail -d 'Watch the events of an app live'
complete -c pws -n __pws_needs_command -a bench -d 'Measure a running server (connections, fanout, channels, churn)'
complete -c pws -n __pws_needs_command -a apps -d 'Add, list, show and remove the apps of the registry'
complete -c pws -n __pws_needs_command -a stats -d 'Show or clean the recorded statistics'

# pws serve
complete -c pws -n '__pws_is serve' -l host -x -a '0.0.0.0 127.0.0.1 ::1' -d 'Address to listen on (default 0.0.0.0)'
complete -c pws -n '__pws_is serve' -s p -l port -x -a '6001 0' -d 'Port to listen on (default 6001; 0 = any free port)'
complete -c pws -n '__pws_is serve' -l debug -d 'Print one line per connection, subscription and message'
complete -c pws -n '__pws_is serve' -l event-loops -x -a '1 2 0' -d 'Event loops, each with its own connections (default 1; 0 = one per core)'

# Server location and credentials: pws trigger, channels, users, tail.
set -l __pws_client '__pws_is trigger; or __pws_is channels; or __pws_is users; or __pws_is tail'
complete -c pws -n $__pws_client -l url -x -a 'http://127.0.0.1:6001 https://' -d 'Server URL (default $PWS_URL, else from the config)'
complete -c pws -n "$__pws_client; or __pws_is stats show; or __pws_is stats clean" -l app -x -a '(__pws_registry_apps)' -d 'The registry app (id or name)'
complete -c pws -n $__pws_client -l timeout -x -a '5 10 30 60' -d 'Connect and request timeout in seconds (default 10)'
complete -c pws -n $__pws_client -s k -l insecure -d 'Do not verify the TLS certificate'

# pws trigger
complete -c pws -n '__pws_is trigger; or __pws_is users' -l channel -x -d 'Channel (trigger: repeatable, 1 to 100)'
complete -c pws -n '__pws_is trigger' -l event -x -d 'Event name'
complete -c pws -n '__pws_is trigger' -l data -x -a '(__pws_data_values)' -d 'Event data: JSON, or @file'
complete -c pws -n '__pws_is trigger' -l socket-id -x -d 'Exclude this connection from the recipients'
complete -c pws -n '__pws_is trigger; or __pws_is channels' -l info -x -a '(__pws_info_values)' -d 'Channel attributes to return'
complete -c pws -n '__pws_is trigger' -l batch -r -F -d 'Send the events of an NDJSON file (- or none = stdin)'

# pws tail
complete -c pws -n '__pws_is tail' -l channel -x -d 'Only events on channels matching this glob'
complete -c pws -n '__pws_is tail' -l event -x -d 'Only events whose name matches this glob'
complete -c pws -n '__pws_is tail' -l type -x -a '(__pws_type_values)' -d 'Only these event types (comma list)'

# pws bench
complete -c pws -n '__pws_is bench' -a 'connections fanout channels churn' -d 'Scenario'
complete -c pws -n '__pws_is bench' -l url -x -a 'http://127.0.0.1:6001' -d 'Server URL (repeatable: subscribers spread over them)'
complete -c pws -n '__pws_is bench' -l trigger-url -x -a 'http://127.0.0.1:6001' -d 'Server the HTTP API triggers go to'
complete -c pws -n '__pws_is bench' -l app -x -a '(__pws_registry_apps)' -d 'The registry app (id or name)'
complete -c pws -n '__pws_is bench' -l app-id -x -d 'App id (with --key and --secret)'
complete -c pws -n '__pws_is bench' -l key -x -d 'App key'
complete -c pws -n '__pws_is bench' -l secret -x -d 'App secret'
complete -c pws -n '__pws_is bench' -l connections -x -d 'WebSocket connections'
complete -c pws -n '__pws_is bench' -l channels -x -d 'Channels the subscribers are spread over'
complete -c pws -n '__pws_is bench' -l events -x -d 'Events to publish'
complete -c pws -n '__pws_is bench' -l rate -x -d 'Events/s, or cycles/s for churn (0 = as fast as answered)'
complete -c pws -n '__pws_is bench' -l duration -x -d 'Seconds to hold or to churn'
complete -c pws -n '__pws_is bench' -l sources -x -d 'Source addresses 127.0.0.1 ... 127.0.0.K'
complete -c pws -n '__pws_is bench' -l server-pid -x -a '(__fish_complete_pids)' -d 'The server pid, for RSS and CPU figures'
complete -c pws -n '__pws_is bench' -l timeout -x -a '10 30 60 120' -d 'Connect phase and delivery tail limit in seconds (default 60)'
complete -c pws -n '__pws_is bench' -l allow-remote -d 'Allow a server that is not on a loopback address'
complete -c pws -n '__pws_is bench' -l probe-every -x -d 'Time latency on every Kth connection'
complete -c pws -n '__pws_is bench' -l batch-ms -x -d 'Read the other subscribers every MS milliseconds'
complete -c pws -n '__pws_is bench' -l max-inflight -x -d 'Handshakes (churn: cycles) in flight at once'
complete -c pws -n '__pws_is bench' -l trigger-connections -x -d 'Keep-alive HTTP connections publishing at once'

# pws channels
complete -c pws -n '__pws_is channels' -l prefix -x -a 'presence- private- private-encrypted-' -d 'Only channels whose name starts with this'

# pws apps
complete -c pws -n '__pws_needs_sub apps' -a add -d 'Add an app with new credentials to the registry'
complete -c pws -n '__pws_needs_sub apps' -a list -d 'List the apps of the registry'
complete -c pws -n '__pws_needs_sub apps' -a show -d 'Show one app'
complete -c pws -n '__pws_needs_sub apps' -a remove -d 'Remove an app from the registry'
complete -c pws -n '__pws_is apps add' -l name -x -d 'A name for the app (required)'
complete -c pws -n '__pws_is apps add' -l id -x -d 'App id (default: random)'
complete -c pws -n '__pws_is apps add' -l key -x -d 'App key (default: random)'
complete -c pws -n '__pws_is apps add' -l secret -x -d 'App secret (default: random)'
complete -c pws -n '__pws_is apps add' -l client-messages -d 'Allow client events'
complete -c pws -n '__pws_is apps add' -l no-statistics -d 'Record no statistics for this app'
complete -c pws -n '__pws_is apps add; or __pws_is apps show' -l env -d 'Print PUSHER_APP_* lines for a .env file'
complete -c pws -n '__pws_is apps list; or __pws_is apps show' -l show-secrets -d 'Show the secrets in full'
complete -c pws -n '__pws_is apps show; and __pws_npositionals 2' -a '(__pws_registry_apps)'
complete -c pws -n '__pws_is apps remove; and __pws_npositionals 2' -a '(__pws_registry_apps)'

# pws stats
complete -c pws -n '__pws_needs_sub stats' -a show -d 'Show the recorded statistics of the apps'
complete -c pws -n '__pws_needs_sub stats' -a clean -d 'Delete old statistics'
complete -c pws -n '__pws_is stats show' -l since -x -a '1h 24h 7d 30d 1w 2w' -d 'Only the last duration (default 24h)'
complete -c pws -n '__pws_is stats clean' -l older-than -x -a '7d 30d 60d 90d 1w 2w' -d 'Delete snapshots older than this (default: retention)'
complete -c pws -n '__pws_is stats clean' -l dry-run -d 'Count what would be deleted, delete nothing'
