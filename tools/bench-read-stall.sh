#!/usr/bin/env bash
# Does a large read stall writes? One etcd 3.4 member and one Etcd.Node member side by side on this machine:
# each is filled with --keys keys (256-byte values), then each round runs, per system in turn (etcd first on odd
# rounds, ours first on even ones):
#   quiet   put --conns 10 --clients 100 --total N --val-size 256 --key-space-size 100000
#   reads   the same put while a loop of `etcdctl get "" --from-key -w protobuf` (every key, linearizable) runs
#           against the same member (at most --max-reads reads; stopped when the put ends)
# and prints the put rate and p99 of both, the p99 ratio (reads / quiet; issue 11 asks ≤ 2) and how many reads ran.
#
#   tools/bench-read-stall.sh [--keys N] [--total N] [--rounds N] [--max-reads N] [--no-build]
#
# Every process it starts runs in a process group of its own and is stopped by that group's id on exit; data
# directories are temporary and removed; every loop is bounded in count.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keys=10000 total=20000 rounds=2 max_reads=500 build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --total) total=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --max-reads) max_reads=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

source "$repo/tools/bench-lib.sh"

bench_build "$build"

declare -A url
start() {
  local name=$1 bin=$2 dir cport pport
  bench_tempdir "read-stall-$name"; dir=$bench_dir
  cport=$(free_port); pport=$(free_port)
  url[$name]="http://127.0.0.1:$cport"
  # $bin is split on purpose ("dotnet path/Etcd.Node.dll").
  # shellcheck disable=SC2086
  bench_spawn "$dir/server.log" $bin --name m --data-dir "$dir/data" --listen-client-urls "${url[$name]}" \
    --advertise-client-urls "${url[$name]}" --listen-peer-urls "http://127.0.0.1:$pport" \
    --initial-advertise-peer-urls "http://127.0.0.1:$pport" --initial-cluster "m=http://127.0.0.1:$pport"
  bench_wait_ready "${url[$name]}" "$bench_spawned" "$dir/server.log"
}
start etcd etcd
start ours "dotnet $node_dll"

put() { "$bench" --endpoints "$1" --conns 10 --clients 100 --total "$total" put --val-size 256 --key-space-size 100000 2>&1 | grep '^RESULT'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

for sys in etcd ours; do
  "$bench" --endpoints "${url[$sys]}" --conns 10 --clients 100 --total "$keys" put --sequential-keys --key-space-size "$keys" --val-size 256 >/dev/null 2>&1
  put "${url[$sys]}" >/dev/null # warm-up
done

echo "| round | system | keys read per get | quiet put/s | quiet p99 ms | put/s with reads | p99 ms with reads | p99 ratio | reads done |"
echo "|---|---|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  order=(etcd ours); (( round % 2 == 0 )) && order=(ours etcd)
  for sys in "${order[@]}"; do
    u=${url[$sys]}
    n=$(ETCDCTL_API=3 etcdctl --endpoints="$u" get "" --from-key --keys-only 2>/dev/null | grep -ac . || true)
    quiet=$(put "$u")
    count=$(mktemp); echo 0 > "$count"
    ( for i in $(seq "$max_reads"); do ETCDCTL_API=3 etcdctl --endpoints="$u" get "" --from-key -w protobuf >/dev/null 2>&1 || true; echo "$i" > "$count"; done ) &
    reader=$!
    loaded=$(put "$u")
    kill "$reader" 2>/dev/null || true; wait "$reader" 2>/dev/null || true
    reads=$(cat "$count"); rm -f "$count"
    qp=$(echo "$quiet" | field p99_ms); lp=$(echo "$loaded" | field p99_ms)
    ratio=$(python3 -c "print(f'{$lp/$qp:.2f}')")
    echo "| $round | $sys | $n | $(echo "$quiet" | field ops_per_sec) | $qp | $(echo "$loaded" | field ops_per_sec) | $lp | $ratio | $reads |"
  done
done
