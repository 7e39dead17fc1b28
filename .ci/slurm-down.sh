#!/usr/bin/env bash
# Stop the loopback SLURM of .ci/slurm-up.sh by PID, in reverse order.
DIR=${SLURM_CI_DIR:-/tmp/bnconvex-slurm}
for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid"; do
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
pkill -x munged 2>/dev/null
# wait until they are gone: a slurm-up right after must not find a munged that is still exiting
for _ in $(seq 50); do pgrep -x 'munged|slurmd|slurmctld' >/dev/null || break; sleep 0.2; done
true
