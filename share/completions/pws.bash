# bash completion for pws(1)                               -*- shell-script -*-
#
# Installed as $datadir/bash-completion/completions/pws; to try it without
# installing: source share/completions/pws.bash
#
# Keep in step with cmd/*.cpp: tests/docs/docs.test.sh checks that every
# flag of `pws [<command> [<subcommand>]] --help` appears here.

# The apps of the registry, ids then names: `pws [--config FILE] apps list
# --json` parsed without jq. Silent (and empty) when that fails.
_pws_registry_apps() {
    local pws=$1 config=$2 json
    local -a args=()
    [[ -n $config ]] && args=(--config "$config")
    json=$("$pws" "${args[@]}" apps list --json 2>/dev/null </dev/null) || return 0
    grep -oE '"id"[[:space:]]*:[[:space:]]*"[^"]*"' <<<"$json" | sed -E 's/.*:[[:space:]]*"([^"]*)"$/\1/'
    grep -oE '"name"[[:space:]]*:[[:space:]]*"[^"]*"' <<<"$json" | sed -E 's/.*:[[:space:]]*"([^"]*)"$/\1/'
}

# COMPREPLY = the lines of stdin that start with $1, shell-quoted.
_pws_reply_lines() {
    local line
    COMPREPLY=()
    while IFS= read -r line; do
        [[ -n $line && $line == "$1"* ]] && COMPREPLY+=("$(printf '%q' "$line")")
    done
}

_pws() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    local global_opts="-c --config --json -q --quiet -v --verbose -h --help"
    local commands="serve trigger channels users tail bench apps stats"
    local server_opts="--url --app --timeout -k --insecure"
    local serve_opts="--host -p --port --debug --event-loops"
    local trigger_opts="--channel --event --data --socket-id --info --batch $server_opts"
    local channels_opts="--prefix --info $server_opts"
    local users_opts="--channel $server_opts"
    local tail_opts="--channel --event --type $server_opts"
    local bench_opts="--url --trigger-url --app --app-id --key --secret --connections --channels --events --rate
                      --duration --sources --server-pid --timeout --allow-remote --probe-every --batch-ms
                      --max-inflight --trigger-connections"
    local bench_scenarios="connections fanout channels churn"
    local apps_commands="add list show remove"
    local apps_add_opts="--name --id --key --secret --client-messages --no-statistics --env"
    local apps_list_opts="--show-secrets"
    local apps_show_opts="--show-secrets --env"
    local apps_remove_opts=""
    local stats_commands="show clean"
    local stats_show_opts="--app --since"
    local stats_clean_opts="--older-than --app --dry-run"
    # Options whose value is the next word (for finding the subcommand).
    local value_opts="-c --config --host -p --port --url --app --timeout --channel --event --data
                      --socket-id --info --prefix --name --id --key --secret --since --older-than --type
                      --trigger-url --app-id --connections --channels --events --rate --duration --sources
                      --server-pid --probe-every --batch-ms --max-inflight --trigger-connections"

    # `--config=FILE`: bash splits the word at "=" (COMP_WORDBREAKS).
    if [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == "=" ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        cur=""
    fi

    # The --config typed so far (for completing app ids from that registry).
    local i word config=""
    for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
        ((i == COMP_CWORD)) && continue
        case ${COMP_WORDS[i]} in
            -c | --config)
                word=${COMP_WORDS[i + 1]-}
                [[ $word == "=" ]] && word=${COMP_WORDS[i + 2]-}
                [[ -n $word ]] && config=$word
                ;;
            --config=?*) config=${COMP_WORDS[i]#--config=} ;;
        esac
    done
    # A typed "~/..." is not expanded by bash in COMP_WORDS.
    # shellcheck disable=SC2088
    [[ $config == "~/"* ]] && config=$HOME/${config#"~/"}

    # Values of options that take one.
    case $prev in
        -c | --config)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0
            ;;
        --host)
            mapfile -t COMPREPLY < <(compgen -W "0.0.0.0 127.0.0.1 ::1" -- "$cur")
            return 0
            ;;
        -p | --port)
            mapfile -t COMPREPLY < <(compgen -W "6001 0" -- "$cur")
            return 0
            ;;
        --url | --trigger-url)
            mapfile -t COMPREPLY < <(compgen -W "http://127.0.0.1:6001 https://" -- "$cur")
            return 0
            ;;
        --app)
            _pws_reply_lines "$cur" < <(_pws_registry_apps "${COMP_WORDS[0]}" "$config")
            return 0
            ;;
        --timeout)
            mapfile -t COMPREPLY < <(compgen -W "5 10 30 60" -- "$cur")
            return 0
            ;;
        --since | --older-than)
            mapfile -t COMPREPLY < <(compgen -W "1h 24h 7d 30d 60d 90d 1w 2w" -- "$cur")
            return 0
            ;;
        --info)
            # A comma-separated list: complete the part after the last comma.
            local done_part="" attr
            [[ $cur == *,* ]] && done_part=${cur%,*},
            COMPREPLY=()
            for attr in user_count subscription_count; do
                [[ ,$done_part == *",$attr,"* ]] && continue
                [[ $done_part$attr == "$cur"* ]] && COMPREPLY+=("$done_part$attr")
            done
            return 0
            ;;
        --type)
            # pws tail: a comma-separated list of event types.
            local done_part="" type
            [[ $cur == *,* ]] && done_part=${cur%,*},
            COMPREPLY=()
            for type in connected disconnected subscribed unsubscribed occupied vacated member_added \
                member_removed client_event api_message error; do
                [[ ,$done_part == *",$type,"* ]] && continue
                [[ $done_part$type == "$cur"* ]] && COMPREPLY+=("$done_part$type")
            done
            return 0
            ;;
        --data)
            # --data JSON, or --data @FILE.
            if [[ $cur == @* ]]; then
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "${cur#@}")
                COMPREPLY=("${COMPREPLY[@]/#/@}")
            else
                COMPREPLY=()
            fi
            return 0
            ;;
        @)
            # "--data @FILE" split at "@" (COMP_WORDBREAKS).
            if ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[COMP_CWORD - 2]} == --data ]]; then
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return 0
            fi
            ;;
        --batch)
            # An optional FILE ("-" = standard input); an option may follow.
            if [[ $cur != -?* ]]; then
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                [[ - == "$cur"* ]] && COMPREPLY+=(-)
                return 0
            fi
            ;;
        --server-pid)
            # pws bench: the pid of a running pws serve.
            mapfile -t COMPREPLY < <(compgen -W "$(pgrep -x pws 2>/dev/null)" -- "$cur")
            return 0
            ;;
        --channel | --event | --socket-id | --prefix | --name | --id | --key | --secret | --app-id | \
            --connections | --channels | --events | --rate | --duration | --sources | --probe-every | --batch-ms | \
            --max-inflight | --trigger-connections)
            COMPREPLY=()
            return 0
            ;;
    esac

    # The command and subcommand: the first two words that are neither
    # options nor option values.
    local command="" sub="" npos=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == "=" ]]; then
            ((i++))
            continue
        fi
        case $word in
            -*)
                [[ " ${value_opts//$'\n'/ } " == *" $word "* ]] && ((i++))
                ;;
            *)
                npos=$((npos + 1))
                if [[ -z $command ]]; then
                    command=$word
                elif [[ -z $sub ]]; then
                    sub=$word
                fi
                ;;
        esac
    done

    local opts="" words=""
    case $command in
        "")
            opts="$global_opts --version"
            words=$commands
            ;;
        serve) opts="$serve_opts $global_opts" ;;
        trigger) opts="$trigger_opts $global_opts" ;;
        channels) opts="$channels_opts $global_opts" ;;
        users) opts="$users_opts $global_opts" ;;
        tail) opts="$tail_opts $global_opts" ;;
        bench) opts="$bench_opts $global_opts" words=$bench_scenarios ;;
        apps)
            case $sub in
                "") opts=$global_opts words=$apps_commands ;;
                add) opts="$apps_add_opts $global_opts" ;;
                list) opts="$apps_list_opts $global_opts" ;;
                show | remove)
                    if [[ $sub == show ]]; then opts="$apps_show_opts $global_opts"; else opts="$apps_remove_opts $global_opts"; fi
                    # The app: ID|NAME, once.
                    if [[ $cur != -* ]] && ((npos == 2)); then
                        _pws_reply_lines "$cur" < <(_pws_registry_apps "${COMP_WORDS[0]}" "$config")
                        return 0
                    fi
                    ;;
                *) opts=$global_opts ;;
            esac
            ;;
        stats)
            case $sub in
                "") opts=$global_opts words=$stats_commands ;;
                show) opts="$stats_show_opts $global_opts" ;;
                clean) opts="$stats_clean_opts $global_opts" ;;
                *) opts=$global_opts ;;
            esac
            ;;
        *)
            COMPREPLY=()
            return 0
            ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    fi
    return 0
}

complete -F _pws pws

# ex: filetype=sh
