#!/usr/bin/env bash
# Does a large read stall writes? One etcd 3.4 member and one Etcd.Node member side by side on this machine:
# each is filled with --keys keys (256-byte values), then each round runs, per system in turn (etcd first on odd
# rounds, ours first on even ones):
#   quiet   put --conns 10 --clients 100 --total N --val-size 256 --key-space-size 100000
#   reads   the same put while a loop of `etcdctl get "" --from-key -w protobuf` (every key, linearizable) runs
#           against the same member (at most --max-reads reads; stopped when the put ends)
# and prints the put rate and p99 of both, the p99 ratio (reads / quiet; issue 11 asks ≤ 2) and how many reads ran.
#
# --case compact: does a compaction stall writes? Per round and system (same order), --revisions key revisions are
# written first (txn-put, 100 puts per txn over 100,000 keys, so each key has revisions/100,000 of them), then
#   quiet   the same put as above, alone
#   compact the same put again, and 0.5 s into it `etcdctl compact <the revision before it>` (every revision written
#           so far but each key's last is deleted: ~revisions rows), on the same member
# and prints both puts, the p99 ratio, the puts refused (errors, with "too many requests" counted apart), how long
# `etcdctl compact` took to answer and what the member's log says the whole compaction took (both systems log
# "finished scheduled compaction at REV (took ...)"; waited for up to 2 minutes after the put, "-" if not seen),
# beside how long the put ran (a compaction longer than that stalled only part of it).
#
#   tools/bench-read-stall.sh [--case range|compact] [--keys N] [--revisions N] [--total N] [--rounds N]
#                             [--max-reads N] [--base DIR] [--variant NAME=DIR]... [--no-build]
#
# --base DIR adds a member "base" run from DIR/Etcd.Node.dll (another build, e.g. main's, copied away), so a change is
# measured as an A/B pair in the same minutes; --variant NAME=DIR adds more such members. The order of the systems
# rotates by one every round.
#
# Every process it starts runs in a process group of its own and is stopped by that group's id on exit; data
# directories are temporary and removed; every loop is bounded in count.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keys=10000 total=20000 rounds=2 max_reads=500 build=1 case=range revisions=1000000 variants=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --total) total=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --max-reads) max_reads=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --case) case=$2; shift 2 ;;
    --revisions) revisions=$2; shift 2 ;;
    --base) variants+=("base=$2"); shift 2 ;;
    --variant) variants+=("$2"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

[[ $case == range || $case == compact ]] || { echo "--case: range or compact, got '$case'" >&2; exit 2; }
[[ $revisions =~ ^[0-9]+$ && $revisions -ge 100 ]] || { echo "--revisions needs a whole number >= 100" >&2; exit 2; }

source "$repo/tools/bench-lib.sh"

bench_build "$build"

declare -A url logs
start() {
  local name=$1 bin=$2 dir cport pport
  bench_tempdir "read-stall-$name"; dir=$bench_dir
  cport=$(free_port); pport=$(free_port)
  url[$name]="http://127.0.0.1:$cport"
  logs[$name]="$dir/server.log"
  # $bin is split on purpose ("dotnet path/Etcd.Node.dll").
  # shellcheck disable=SC2086
  bench_spawn "$dir/server.log" $bin --name m --data-dir "$dir/data" --listen-client-urls "${url[$name]}" \
    --advertise-client-urls "${url[$name]}" --listen-peer-urls "http://127.0.0.1:$pport" \
    --initial-advertise-peer-urls "http://127.0.0.1:$pport" --initial-cluster "m=http://127.0.0.1:$pport"
  bench_wait_ready "${url[$name]}" "$bench_spawned" "$dir/server.log"
}
start etcd etcd
start ours "dotnet $node_dll"
systems=(etcd ours)
for v in "${variants[@]}"; do start "${v%%=*}" "dotnet ${v#*=}/Etcd.Node.dll"; systems+=("${v%%=*}"); done
# order_for ROUND: the systems rotated by one per round (two systems: etcd first on odd rounds, as before).
order_for() { local n=${#systems[@]} i; order=(); for ((i = 0; i < n; i++)); do order+=("${systems[(i + $1 - 1) % n]}"); done; }

put() { "$bench" --endpoints "$1" --conns 10 --clients 100 --total "$total" put --val-size 256 --key-space-size 100000 2>&1 | grep '^RESULT'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

if [[ $case == compact ]]; then
  # put ENDPOINT ... with errors and the first distinct error lines kept.
  put_full() { "$bench" --endpoints "$1" --conns 10 --clients 100 --total "$total" put --val-size 256 --key-space-size 100000 2>&1; }
  for sys in "${systems[@]}"; do put "${url[$sys]}" >/dev/null; done # warm-up
  echo "| round | system | revisions compacted | quiet put/s | quiet p99 ms | put/s with compaction | p99 ms with compaction | p99 ratio | errors (too many requests) | compact RPC ms | compaction took | load |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for round in $(seq "$rounds"); do
    order_for "$round"
    for sys in "${order[@]}"; do
      u=${url[$sys]}
      # 10 writers: the fill is not measured, and 100 writers of 100-put txns get "too many requests" from either.
      fill=$("$bench" --endpoints "$u" --conns 2 --clients 10 --total $(( revisions / 100 )) --max-seconds 900 txn-put --txn-ops 100 \
        --key-space-size 100000 --val-size 64 2>&1 | grep '^RESULT' || true)
      echo "# fill $sys: $fill" >&2
      rev=$(ETCDCTL_API=3 etcdctl --endpoints="$u" get compaction-probe -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
      quiet=$(put "$u")
      out=$(mktemp)
      ( put_full "$u" > "$out" ) &
      putter=$!
      sleep 0.5
      t0=$(date +%s%N)
      ETCDCTL_API=3 etcdctl --endpoints="$u" --command-timeout=120s compact "$rev" >&2 || echo "# compact on $sys failed" >&2
      t1=$(date +%s%N)
      wait "$putter" || true
      loaded=$(grep '^RESULT' "$out"); tmr=$(sed -n 's/^ *\[\([0-9]*\)\].*too many requests.*/\1/p' "$out" | head -1); rm -f "$out"
      # The compaction may outlast the put (etcd pauses 10 ms between its batches): wait for its line, bounded.
      took=""
      for _ in $(seq 240); do
        took=$(grep -a "finished scheduled compaction at $rev " "${logs[$sys]}" | sed -n 's/.*(took \([^;)]*\).*/\1/p' | tail -1 || true)
        [[ -n $took ]] && break
        sleep 0.5
      done
      secs=$(echo "$loaded" | field seconds)
      qp=$(echo "$quiet" | field p99_ms); lp=$(echo "$loaded" | field p99_ms)
      ratio=$(python3 -c "print(f'{$lp/$qp:.2f}')")
      load=$(cut -d' ' -f1 /proc/loadavg)
      echo "| $round | $sys | $rev | $(echo "$quiet" | field ops_per_sec) | $qp | $(echo "$loaded" | field ops_per_sec) | $lp | $ratio | $(echo "$loaded" | field errors) (${tmr:-0}) | $(( (t1 - t0) / 1000000 )) | ${took:--} (put ${secs}s) | $load |"
    done
  done
  exit 0
fi

for sys in "${systems[@]}"; do
  "$bench" --endpoints "${url[$sys]}" --conns 10 --clients 100 --total "$keys" put --sequential-keys --key-space-size "$keys" --val-size 256 >/dev/null 2>&1
  put "${url[$sys]}" >/dev/null # warm-up
done

echo "| round | system | keys read per get | quiet put/s | quiet p99 ms | put/s with reads | p99 ms with reads | p99 ratio | reads done |"
echo "|---|---|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  order_for "$round"
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
