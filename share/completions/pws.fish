# fish completion for pws(1). Installed into
# $datadir/fish/vendor_completions.d; to try it without installing:
# source share/completions/pws.fish
#
# Keep in step with cmd/*.cpp: tests/docs/docs.test.sh checks that every
# flag of `pws --help` and `pws serve --help` appears here.

# True while no subcommand has been typed yet (skipping the --config value).
function __pws_needs_command
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip_next 0
    for token in $tokens
        if test $skip_next -eq 1
            set skip_next 0
            continue
        end
        switch $token
            case -c --config
                set skip_next 1
            case '-*'
            case '*'
                return 1
        end
    end
    return 0
end

complete -c pws -f

# Global options (accepted before and after the subcommand).
complete -c pws -s c -l config -r -F -d 'Read the configuration from this file'
complete -c pws -s h -l help -d 'Print help and exit'
complete -c pws -n __pws_needs_command -l version -d 'Print the version and exit'

# Subcommands.
complete -c pws -n __pws_needs_command -a serve -d 'Run the Pusher-compatible WebSocket and HTTP API server'

# pws serve
complete -c pws -n '__fish_seen_subcommand_from serve' -l host -x -a '0.0.0.0 127.0.0.1 ::1' -d 'Address to listen on (default 0.0.0.0)'
complete -c pws -n '__fish_seen_subcommand_from serve' -s p -l port -x -a '6001 0' -d 'Port to listen on (default 6001; 0 = any free port)'
complete -c pws -n '__fish_seen_subcommand_from serve' -l debug -d 'Print one line per connection, subscription and message'
