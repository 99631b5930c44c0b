#!/usr/bin/env bash
# Several "machines" on one, for running MPI across hosts without them: network namespaces sgnn-h1 ... sgnn-hN, each
# with its own address 10.77.0.1N/24 on a veth pair whose other end is on a bridge (sgnnbr, 10.77.0.1), and an rsh
# agent that stands in for ssh: mpirun's "agent HOST COMMAND" runs COMMAND inside HOST's namespace, with its own host
# name (unshare --uts), so Open MPI treats each namespace as a separate machine and talks TCP between them.
#   scripts/mpi-netns.sh up N DIR    writes DIR/agent and DIR/hosts (2 slots per host) and prints the mpirun options
#   scripts/mpi-netns.sh down N      removes the namespaces and the bridge
# Needs root (CAP_NET_ADMIN), iproute2 and util-linux's unshare. docs/distributed.md shows the same with real hosts.
set -euo pipefail
cmd=${1:?up or down}; n=${2:?number of hosts}
down() {
  ip link del sgnnbr 2>/dev/null || true
  for i in $(seq 1 "$n"); do ip netns del "sgnn-h$i" 2>/dev/null || true; done
}
if [ "$cmd" = down ]; then down; exit 0; fi
dir=${3:?folder for the agent and the hostfile}
down
ip link add sgnnbr type bridge
ip addr add 10.77.0.1/24 dev sgnnbr
ip link set sgnnbr up
: >"$dir/hosts"
{
  echo '#!/bin/sh'
  echo '# Stand-in for ssh (scripts/mpi-netns.sh): "agent HOST COMMAND..." runs COMMAND in the namespace playing HOST.'
  echo 'host=$1; shift'
  echo 'case $host in'
} >"$dir/agent"
for i in $(seq 1 "$n"); do
  ns=sgnn-h$i; addr=10.77.0.$((10 + i))
  ip netns add "$ns"
  ip link add "sgnn-v$i" type veth peer name eth0 netns "$ns"
  ip link set "sgnn-v$i" master sgnnbr
  ip link set "sgnn-v$i" up
  ip netns exec "$ns" ip addr add "$addr/24" dev eth0
  ip netns exec "$ns" ip link set eth0 up
  ip netns exec "$ns" ip link set lo up
  echo "$addr slots=2" >>"$dir/hosts"
  echo "  $addr) ns=$ns ;;" >>"$dir/agent"
done
{
  echo '  *) echo "agent: unknown host $host" >&2; exit 1 ;;'
  echo 'esac'
  echo 'exec ip netns exec "$ns" unshare --uts sh -c "hostname $ns; $*"'
} >>"$dir/agent"
chmod +x "$dir/agent"
echo "--hostfile $dir/hosts --mca plm_rsh_agent $dir/agent --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24"
