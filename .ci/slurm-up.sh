#!/usr/bin/env bash
# Install and start a single-node SLURM on loopback (Debian packages), with a fake GPU gres, for the
# cluster-profile test. Facts behind each setting: shared notes "slurm-on-loopback". Needs root.
# Writes its state to $SLURM_CI_DIR (default /tmp/bnconvex-slurm); stop with .ci/slurm-down.sh.
set -euo pipefail
DIR=${SLURM_CI_DIR:-/tmp/bnconvex-slurm}
export DEBIAN_FRONTEND=noninteractive
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi
mkdir -p "$DIR/state" "$DIR/spool" /etc/slurm /run/munge
chown munge:munge /run/munge
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null;
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
NODE=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) - 2048 ))
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=bnconvex-ci
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
DefMemPerCPU=1000
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
KillWait=5
MinJobAge=300
GresTypes=gpu
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} Gres=gpu:1 State=UNKNOWN
PartitionName=main Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
CONF
echo "NodeName=${NODE} Name=gpu File=/dev/null" > /etc/slurm/gres.conf
slurmctld
slurmd
for _ in $(seq 60); do
  [ "$(sinfo -h -o %t 2>/dev/null | head -1)" = "idle" ] && { echo "slurm: node ${NODE} idle"; exit 0; }
  sleep 0.5
done
echo "slurm did not become idle; logs in $DIR" >&2
sinfo >&2 || true
exit 1
