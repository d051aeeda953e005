#!/usr/bin/env bash
# Runs `ecstpl deploy` from the action's inputs (INPUT_* environment variables, as the
# composite action passes them), after checking every input: a bad one is reported by its
# input name and nothing is registered. Writes `task-definition-arn` and
# `service-deployment-arn` to GITHUB_OUTPUT; ecstpl itself appends the step summary when
# GITHUB_STEP_SUMMARY is set. Exits with ecstpl's exit code (2 for a bad input).
#
#   INPUT_INSTALL_ONLY                  true: deploy nothing (the install step was all)
#   INPUT_CLUSTER, INPUT_SERVICE        required, unless INPUT_FLEET
#   INPUT_FLEET                         --fleet (a fleet file): every service it names, in waves
#   INPUT_IMAGE                         lines of CONTAINER=IMAGE, each one --image
#   INPUT_TEMPLATE, INPUT_FAMILY        --template, --family
#   INPUT_OVERLAY                       --overlay (a file)
#   INPUT_WAIT_FOR_SERVICE_STABILITY    true: --wait-until stable; false: --no-wait;
#                                       empty: ecstpl's default (until the deployment ends)
#   INPUT_WAIT_UNTIL                    --wait-until deployed|stable|paused
#   INPUT_WAIT_FOR_MINUTES              --timeout <N>m
#   INPUT_PRUNE_KEEP                    --prune-keep N
#   INPUT_VERIFY                        true: --verify; strict: --verify strict
#   ECSTPL_BIN                          the ecstpl binary (default: ecstpl on PATH)
set -euo pipefail

errors=()
invalid() { errors+=("input $1: $2"); }
trim() {
  local value="${1//$'\r'/}"
  value="${value#"${value%%[![:space:]]*}"}"
  printf '%s' "${value%"${value##*[![:space:]]}"}"
}

case "$(trim "${INPUT_INSTALL_ONLY:-}" | tr '[:upper:]' '[:lower:]')" in
  true) echo "ecstpl deploy action: install-only is true: ecstpl is installed, nothing deployed"; exit 0 ;;
  "" | false) ;;
  *) echo "ecstpl deploy action: error: input install-only: expected true or false, got '${INPUT_INSTALL_ONLY}'" >&2; exit 2 ;;
esac

cluster="$(trim "${INPUT_CLUSTER:-}")"
service="$(trim "${INPUT_SERVICE:-}")"
fleet="$(trim "${INPUT_FLEET:-}")"
if [ -n "$fleet" ]; then
  [ -z "$cluster" ] || invalid cluster "not with fleet: the fleet file names the services"
  [ -z "$service" ] || invalid service "not with fleet: the fleet file names the services"
  [ -f "$fleet" ] || invalid fleet "no such file: $fleet"
  args=(deploy --fleet "$fleet" --output json)
else
  [ -n "$cluster" ] || invalid cluster "required (the cluster name or ARN), unless fleet is given"
  [ -n "$service" ] || invalid service "required (the service name or ARN), unless fleet is given"
  args=(deploy --cluster "$cluster" --service "$service" --output json)
fi

number=0
while IFS= read -r line || [ -n "$line" ]; do
  number=$((number + 1))
  line="$(trim "$line")"
  [ -n "$line" ] || continue
  container="$(trim "${line%%=*}")"
  image="$(trim "${line#*=}")"
  if [[ "$line" != *=* ]] || [ -z "$container" ] || [ -z "$image" ]; then
    invalid image "line $number: expected CONTAINER=IMAGE, got '$line'"
    continue
  fi
  args+=(--image "$container=$image")
done <<<"${INPUT_IMAGE:-}"

template="$(trim "${INPUT_TEMPLATE:-}")"
[ -z "$template" ] || args+=(--template "$template")
family="$(trim "${INPUT_FAMILY:-}")"
[ -z "$family" ] || args+=(--family "$family")

verify="$(trim "${INPUT_VERIFY:-}" | tr '[:upper:]' '[:lower:]')"
case "$verify" in
  "" | false) ;;
  true) args+=(--verify) ;;
  strict) args+=(--verify strict) ;;
  *) invalid verify "expected true, false or strict, got '${INPUT_VERIFY}'" ;;
esac

overlay="$(trim "${INPUT_OVERLAY:-}")"
if [ -n "$overlay" ]; then
  if [ -f "$overlay" ]; then args+=(--overlay "$overlay"); else invalid overlay "no such file: $overlay"; fi
fi

# tr, not ${var,,}: macOS ships bash 3.2.
stability="$(trim "${INPUT_WAIT_FOR_SERVICE_STABILITY:-}" | tr '[:upper:]' '[:lower:]')"
wait_until="$(trim "${INPUT_WAIT_UNTIL:-}")"
case "$wait_until" in
  "" | deployed | stable | paused) ;;
  *) invalid wait-until "expected deployed, stable or paused, got '$wait_until'" ;;
esac
case "$stability" in
  "") [ -z "$wait_until" ] || args+=(--wait-until "$wait_until") ;;
  true)
    if [ -n "$wait_until" ] && [ "$wait_until" != stable ]; then
      invalid wait-for-service-stability "true means wait-until: stable, but wait-until is '$wait_until'"
    fi
    args+=(--wait-until stable)
    ;;
  false)
    if [ -n "$wait_until" ]; then
      invalid wait-for-service-stability "false means not waiting, but wait-until is '$wait_until'"
    fi
    args+=(--no-wait)
    ;;
  *) invalid wait-for-service-stability "expected true or false, got '$stability'" ;;
esac

minutes="$(trim "${INPUT_WAIT_FOR_MINUTES:-}")"
if [ -n "$minutes" ]; then
  if [[ "$minutes" =~ ^[0-9]+$ ]] && [ "$((10#$minutes))" -gt 0 ]; then
    args+=(--timeout "$((10#$minutes))m")
  else
    invalid wait-for-minutes "expected a whole number of minutes greater than 0, got '$minutes'"
  fi
fi

prune="$(trim "${INPUT_PRUNE_KEEP:-}")"
if [ -n "$prune" ]; then
  if [ -n "$fleet" ]; then
    invalid prune-keep "not with fleet: prune each service's family with its own deploy"
  elif [ "$stability" = false ]; then
    invalid prune-keep "pruning runs after the deployment ends SUCCESSFUL, so it needs the wait (wait-for-service-stability is false)"
  elif [[ "$prune" =~ ^[0-9]+$ ]]; then args+=(--prune-keep "$((10#$prune))"); else
    invalid prune-keep "expected a number of revisions, got '$prune'"
  fi
fi

if [ "${#errors[@]}" -gt 0 ]; then
  for error in "${errors[@]}"; do echo "ecstpl deploy action: error: $error" >&2; done
  echo "ecstpl deploy action: nothing was deployed" >&2
  exit 2
fi

result="$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ecstpl-deploy.XXXXXX")"
trap 'rm -f "$result"' EXIT
code=0
"${ECSTPL_BIN:-ecstpl}" "${args[@]}" >"$result" || code=$?
cat "$result"

# ecstpl prints its result as one JSON line; the ARNs in it hold no quotes or escapes.
field() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p' "$result" | head -n 1; }
task_definition_arn=""
service_deployment_arn=""
# A fleet has one of each per target: they are in the JSON result, not in the outputs.
if [ -z "$fleet" ]; then
  task_definition_arn="$(field task_definition_arn)"
  service_deployment_arn="$(field service_deployment_arn)"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "task-definition-arn=$task_definition_arn"
    echo "service-deployment-arn=$service_deployment_arn"
  } >>"$GITHUB_OUTPUT"
fi
exit "$code"
