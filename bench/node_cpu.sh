#!/bin/sh
# Run on a node by bench/node_cpu.py (as root, over SSH): cumulative CPU seconds since boot
# per systemd unit (cgroup v2 cpu.stat; a parent keeps what its ended children used, so
# install steps' SSH sessions add up in user.slice, daemon-reload's generators in
# init.scope, and system.slice counts every service, also those whose units ended), then
# the whole machine from /proc/stat and the uptime. One line each:
#   cg <usage_usec> <cgroup path>
#   total <busy_seconds> <uptime_seconds>
set -eu
cd /sys/fs/cgroup
for stat in init.scope/cpu.stat user.slice/cpu.stat system.slice/cpu.stat system.slice/*/cpu.stat; do
  [ -f "$stat" ] || continue
  printf 'cg %s %s\n' "$(sed -n 's/^usage_usec //p' "$stat")" "${stat%/cpu.stat}"
done
hz=$(getconf CLK_TCK)
awk -v hz="$hz" '/^cpu / { printf "total %.1f ", ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat
cut -d' ' -f1 /proc/uptime
