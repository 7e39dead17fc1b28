#!/usr/bin/env bash
# Stop the loopback SLURM of .ci/slurm-up.sh by PID, in reverse order.
DIR=${SLURM_CI_DIR:-/tmp/bnconvex-slurm}
for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid"; do
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
pkill -x munged 2>/dev/null
true
