#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# output.openstack where there is no OpenStack (as here): the job fails
# within seconds naming what is missing (the openstack client virt-v2v
# runs; with one installed, virt-v2v's own words on the unreachable
# cloud), and the credentials, from a clouds.yaml or an openrc file, are
# only ever a 0600 file of the job and virt-v2v's environment: never on
# a command line, in state, logs or API responses.
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require jq
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

pw="os-pass-$$-$RANDOM-never-shown"
port=$(free_port)          # nothing listens there: no Keystone
( umask 077
  cat >"$T/clouds.yaml" <<YAML
clouds:
  prod:
    auth:
      auth_url: http://127.0.0.1:$port/v3
      username: uch
      password: "$pw"
      project_name: migrations
      user_domain_name: Default
      project_domain_name: Default
YAML
  cat >"$T/openrc" <<RC
export OS_AUTH_URL=http://127.0.0.1:$port/v3
export OS_USERNAME=uch
export OS_PASSWORD='$pw'
export OS_PROJECT_NAME=migrations
RC
)
truncate -s 64M "$T/disk.img"
uchd_start

submit() { # ID CREDENTIALS-JSON
  cat >"$T/$1.json" <<JSON
{"type": "convert", "id": "$1", "name": "web01",
 "input": {"disk": {"path": "$T/disk.img", "format": "raw"}},
 "output": {"openstack": {"server_id": "uch-appliance", "guest_id": "web01",
                          "credentials": $2}}}
JSON
  api POST /v1/jobs "$T/$1.json" >>"$T/responses.log"
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}
ends() { # ID LIMIT
  local st
  for _ in $(seq $(($2 * 10))); do
    ps -eo args >>"$T/ps.log"
    st=$(api GET "/v1/jobs/$1" | tee -a "$T/responses.log" | jq -r .state)
    case $st in succeeded|failed|cancelled) echo "$st"; return ;; esac
    sleep 0.1
  done
  echo "$st"
}

for job in yaml rc; do
  case $job in
    yaml) submit yaml "{\"clouds_yaml\": \"$T/clouds.yaml\", \"cloud\": \"prod\"}" ;;
    rc) submit rc "{\"env_file\": \"$T/openrc\"}" ;;
  esac
  start=$(date +%s)
  st=$(ends $job 180)
  [ "$st" = failed ] || die "$job: $st after 180 s (a hang?)"
  api GET "/v1/jobs/$job" >"$T/$job-job.json"
  msg=$(jq -r .error.message "$T/$job-job.json")
  if command -v openstack >/dev/null; then
    jq -e '.error.code == "convert_failed"' "$T/$job-job.json" >/dev/null &&
      [ -n "$msg" ] || die "$job error: $(jq -c .error "$T/$job-job.json")"
  else
    jq -e '.error.code == "missing_dependency"' "$T/$job-job.json" >/dev/null ||
      die "$job error: $(jq -c .error "$T/$job-job.json")"
    grep -q "openstack command is not installed" <<<"$msg" ||
      die "$job: message does not name the missing client: $msg"
  fi
  pass "$job credentials: failed in $(( $(date +%s) - start )) s: $msg"
done

# With a client (a stand-in on uchd's PATH that notes what it was given
# and answers as openstack does without a reachable Keystone): the
# credentials reach it through the environment, and the job fails with
# virt-v2v's words.
if ! command -v openstack >/dev/null; then
  kill "$UCHD_PID"; wait "$UCHD_PID" 2>/dev/null
  mkdir "$T/bin"
  cat >"$T/bin/openstack" <<SH
#!/bin/sh
{ echo "args: \$*"
  echo "OS_CLOUD=\${OS_CLOUD-unset} OS_CLIENT_CONFIG_FILE=\${OS_CLIENT_CONFIG_FILE-unset}"
  [ "\${OS_PASSWORD-}" = '$pw' ] && echo "OS_PASSWORD is the request's"
} >>"$T/openstack-calls.log"
echo "Failed to discover available identity versions when contacting http://127.0.0.1:$port/v3." >&2
exit 1
SH
  chmod +x "$T/bin/openstack"
  PATH=$T/bin:$PATH UCH_PORT='' uchd_start
  for job in yaml2 rc2; do
    case $job in
      yaml2) submit yaml2 "{\"clouds_yaml\": \"$T/clouds.yaml\", \"cloud\": \"prod\"}" ;;
      rc2) submit rc2 "{\"env_file\": \"$T/openrc\"}" ;;
    esac
    st=$(ends $job 180)
    [ "$st" = failed ] || die "$job: $st after 180 s (a hang?)"
    api GET "/v1/jobs/$job" >"$T/$job-job.json"
    jq -e '.error.code == "convert_failed"' "$T/$job-job.json" >/dev/null ||
      die "$job error: $(jq -c .error "$T/$job-job.json")"
    pass "$job with a client: $(jq -r .error.message "$T/$job-job.json")"
  done
  grep -q "OS_CLOUD=prod OS_CLIENT_CONFIG_FILE=$T/run/jobs/yaml2/secrets/output.openstack.credentials.clouds_yaml" \
    "$T/openstack-calls.log" || die "clouds.yaml not handed over: $(cat "$T/openstack-calls.log")"
  grep -q "OS_PASSWORD is the request's" "$T/openstack-calls.log" ||
    die "openrc not handed over: $(cat "$T/openstack-calls.log")"
  pass "the client got OS_CLOUD + OS_CLIENT_CONFIG_FILE (the job's secret), and the openrc's OS_*"
fi

api GET /v1/jobs >>"$T/responses.log"
secret_nowhere "the password" "$pw" "$T/ps.log" "$T/responses.log" "$T/uchd.log" \
  "$T"/state/jobs/*/state.json "$T"/state/jobs/*/job.log "$T"/state/jobs/*/request.json
[ -z "$(ls -A "$T/run/jobs" 2>/dev/null)" ] || die "runtime dir (secret) left: $(ls -A "$T/run/jobs")"
! pgrep -f -- "(virt-v2v|uch-job).*$T/(run|state)" >/dev/null || die "left running"
pass "the password is in no command line, file or response; nothing left"
