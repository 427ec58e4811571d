# bash completion for pws(1)                               -*- shell-script -*-
#
# Installed as $datadir/bash-completion/completions/pws; to try it without
# installing: source share/completions/pws.bash
#
# Keep in step with cmd/*.cpp: tests/docs/docs.test.sh checks that every
# flag of `pws --help` and `pws serve --help` appears here.

_pws() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    local global_opts="-c --config -h --help --version"
    local commands="serve"
    local serve_opts="--host -p --port --debug -c --config -h --help"

    # `--config=FILE`: bash splits the word at "=" (COMP_WORDBREAKS).
    if [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == "=" ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        cur=""
    fi

    # Values of options that take one.
    case $prev in
        -c | --config)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0
            ;;
        --host)
            mapfile -t COMPREPLY < <(compgen -W "0.0.0.0 127.0.0.1" -- "$cur")
            return 0
            ;;
        -p | --port)
            mapfile -t COMPREPLY < <(compgen -W "6001 0" -- "$cur")
            return 0
            ;;
    esac

    # The subcommand: the first word that is neither an option nor the
    # value of --config.
    local i word command=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
            -c | --config) ((i++)) ;;
            -*) ;;
            *)
                command=$word
                break
                ;;
        esac
    done

    case $command in
        "")
            if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$global_opts" -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
            fi
            ;;
        serve)
            mapfile -t COMPREPLY < <(compgen -W "$serve_opts" -- "$cur")
            ;;
        *)
            COMPREPLY=()
            ;;
    esac
    return 0
}

complete -F _pws pws

# ex: filetype=sh
