# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Bash completion of uchctl: commands, their options and the values
# those take, job ids (from uchctl list) where a command takes one.
# Installed as share/bash-completion/completions/uchctl (make install,
# the RPM, the image); tests/integration/test-uchctl-completion.sh
# completes with it.

_uchctl_commands="submit list show wait cancel delete logs health check sync
cutover digest volumes bandwidth support-bundle help"
_uchctl_global="--socket --url --token-file --json --help --version"

# The options of one command (beside the global ones).
_uchctl_command_options() {
  case $1 in
    list) echo "--state" ;;
    wait) echo "--timeout" ;;
    logs) echo "-f --follow" ;;
    sync) echo "--rehearse" ;;
    check) echo "--quick --vcenter --esxi --ports --vddk-libdir --state-dir --runtime-dir" ;;
    support-bundle) echo "-o --output --state-dir" ;;
  esac
}

# The jobs' ids, asking the uchd the command line names.
_uchctl_job_ids() {
  local -a conn=()
  local i
  for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
    case ${COMP_WORDS[i]} in
      --socket|--url|--token-file) conn+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}") ;;
    esac
  done
  uchctl "${conn[@]}" list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_uchctl() {
  local cur prev cmd="" nargs=0 i w
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()

  # The value of an option.
  case $prev in
    --socket|--token-file|-o|--output|--vddk-libdir|--state-dir|--runtime-dir)
      case $prev in
        --vddk-libdir|--state-dir|--runtime-dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
        *) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
      esac
      return 0 ;;
    --state)
      mapfile -t COMPREPLY < <(compgen -W "queued running succeeded failed cancelled" -- "$cur")
      return 0 ;;
    --url|--timeout|--vcenter|--esxi|--ports)
      return 0 ;;
  esac

  # The command, and how many of its arguments come before this word.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case $w in
      --socket|--url|--token-file|--state|--timeout|--vcenter|--esxi|--ports|--vddk-libdir|--state-dir|--runtime-dir|-o|--output)
        ((i++)) ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd=$w; else ((nargs++)); fi ;;
    esac
  done

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_uchctl_global $(_uchctl_command_options "$cmd")" -- "$cur")
    return 0
  fi
  case $cmd in
    "")
      mapfile -t COMPREPLY < <(compgen -W "$_uchctl_commands" -- "$cur") ;;
    help)
      [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "$_uchctl_commands" -- "$cur") ;;
    submit)
      [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    show|cancel|delete|logs|bandwidth)
      [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "$(_uchctl_job_ids)" -- "$cur") ;;
    wait)
      mapfile -t COMPREPLY < <(compgen -W "$(_uchctl_job_ids)" -- "$cur") ;;
    sync|cutover|digest)
      if [ "$nargs" -eq 0 ]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_uchctl_job_ids)" -- "$cur")
      elif [ "$nargs" -eq 1 ]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      fi ;;
  esac
  return 0
}
complete -o filenames -F _uchctl uchctl
