#!/usr/bin/env bash
# The overlay's load balancer check: the VIP answers, and a run of consecutive requests
# reaches every backend in turn (ROUND_ROBIN: never the same backend twice in a row),
# within ATTEMPTS tries INTERVAL seconds apart. Prints the answers on stdout.
#
# Environment: VIP_URL, BACKENDS (space-separated names the backends answer with),
# ATTEMPTS (default 60), INTERVAL (default 10); VIA_SSH_CONFIG + VIA_SSH_HOST to ask
# from a jump host where the external network is not reachable from here.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

: "${VIP_URL:?VIP_URL is required}" "${BACKENDS:?BACKENDS is required}"
ATTEMPTS=${ATTEMPTS:-60}
INTERVAL=${INTERVAL:-10}
read -r -a backends <<<"$BACKENDS"
rounds=$((2 * ${#backends[@]}))

get() {
  if [ -n "${VIA_SSH_HOST:-}" ]; then
    ssh -F "$VIA_SSH_CONFIG" "$VIA_SSH_HOST" curl -fsS -m 5 "$VIP_URL"
  else
    curl -fsS -m 5 "$VIP_URL"
  fi
}

# One run of consecutive requests; true when it is round robin over every backend.
round_robin() {
  answers=()
  local i answer
  for ((i = 0; i < rounds; i++)); do
    answer=$(get 2>/dev/null | tr -d '\r\n') || answer="(no answer)"
    answers+=("$answer")
  done
  for b in "${backends[@]}"; do
    printf '%s\n' "${answers[@]}" | grep -qx -- "$b" || return 1
  done
  for ((i = 1; i < rounds; i++)); do
    [ "${answers[i]}" != "${answers[i - 1]}" ] || return 1
  done
}

step "check-lb: $VIP_URL must answer round robin from: ${backends[*]}"
start=$SECONDS
for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
  if round_robin; then
    note "check-lb: round robin after $((SECONDS - start)) s: ${answers[*]}"
    echo "$VIP_URL round robin: ${answers[*]}"
    exit 0
  fi
  note "check-lb: attempt $attempt/$ATTEMPTS: ${answers[*]}"
  sleep "$INTERVAL"
done
die "check-lb: $VIP_URL did not answer round robin from ${backends[*]} in $ATTEMPTS attempts (last: ${answers[*]})"
