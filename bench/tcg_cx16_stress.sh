#!/bin/sh
# User-data of bench/tcg_cx16.py: fork, exec and read /proc and /sys from 6 jobs on 2 vCPUs,
# which keeps SLUB's per-CPU fast path (CMPXCHG16B where the CPU has cx16) busy.
set -eu
echo "stress: start, $(grep -c -w cx16 /proc/cpuinfo) of $(nproc) cpus with cx16"
for job in 1 2 3 4 5 6; do
  (
    i=0
    while [ "$i" -lt 800 ]; do
      /bin/true
      cat /proc/self/status /proc/meminfo >/dev/null
      ls -R /sys/kernel/slab >/dev/null 2>&1 || true
      i=$((i + 1))
    done
    echo "stress: job $job done"
  ) &
done
wait
echo "stress: ok"
