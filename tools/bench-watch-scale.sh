#!/usr/bin/env bash
# The issue's watch scale line, on one member of each system: N watchers over S streams must work, and what
# does one idle watcher cost in memory?
#
#   tools/bench-watch-scale.sh [--systems etcd,ours] [--watchers 10000] [--streams 100] [--total 100]
#                              [--ours-cmd TEMPLATE] [--etcd-bin PATH] [--no-build]
#
#   --ours-cmd TEMPLATE  how to start our member; {data_dir} {client_url} {peer_url} are substituted.
#                        Default: dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll (etcd's flags)
#
# Per system (a fresh single member each, started in a session of its own and stopped by process group):
#   1. warm-up: 2,000 puts (10 conns / 100 clients), so the figures after it are not the first JIT or
#      allocation of the write path;
#   2. memory before: VmRSS of the server and its live heap: etcd's go_memstats_heap_alloc_bytes (from
#      /metrics, right after /debug/pprof/heap?gc=1 ran a GC), ours the managed heap of a dotnet-gcdump
#      (which runs a full blocking GC first);
#   3. idle: `put --idle-watchers N --streams S --total 1 --ready-file F`: N single-key watchers on keys
#      nobody writes; once all are confirmed the tool writes F and waits; the memory is read again, F is
#      deleted, and the tool checks the watchers received nothing;
#   4. delivery: `watch --watchers N --streams S --total T` (10 conns / 10 clients): N watchers on one
#      prefix, T puts under it, every watcher must get every event once and in order (N x T events); the
#      memory is read again with those watchers registered (--ready-file), before the puts.
# Per-watcher cost = (after - before) / N. Needs dotnet-gcdump (`dotnet tool install -g dotnet-gcdump`)
# for ours' heap figure; without it only RSS is reported. Every wait has a time bound.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
systems=etcd,ours watchers=10000 streams=100 total=100 ours_cmd="" etcd_bin=etcd build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --systems) systems=$2; shift 2 ;;
    --watchers) watchers=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --total) total=$2; shift 2 ;;
    --ours-cmd) ours_cmd=$2; shift 2 ;;
    --etcd-bin) etcd_bin=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for n in "$watchers" "$streams" "$total"; do
  [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || { echo "--watchers, --streams and --total need positive integers" >&2; exit 2; }
done
flags='--data-dir {data_dir} --listen-client-urls {client_url} --advertise-client-urls {client_url} --listen-peer-urls {peer_url} --initial-advertise-peer-urls {peer_url} --initial-cluster default={peer_url}'
[[ -n $ours_cmd ]] || ours_cmd="dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll $flags"
# --enable-pprof: /debug/pprof/heap?gc=1 runs a full GC, so etcd's heap figure is live data, as ours is.
declare -A template=([etcd]="$etcd_bin $flags --enable-pprof" [ours]="$ours_cmd")
IFS=, read -r -a sys_list <<<"$systems"
for s in "${sys_list[@]}"; do [[ $s == etcd || $s == ours ]] || { echo "--systems: etcd and/or ours, got '$s'" >&2; exit 2; }; done

work=$(mktemp -d /tmp/bench-watch-scale.XXXXXX)
pgid=""
stop_server() {
  [[ -n $pgid ]] || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  pgid=""
}
cleanup() { stop_server; rm -rf -- "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "# $*" >&2; }

if [[ $build == 1 ]]; then
  log "building Etcd.Benchmark and Etcd.Node (Release)"
  dotnet build "$repo/tools/Etcd.Benchmark" -c Release -v q -nologo >&2
  dotnet build "$repo/Etcd.Node" -c Release -v q -nologo >&2
fi
bench=$repo/tools/Etcd.Benchmark/bin/Release/net10.0/Etcd.Benchmark
gcdump=$(command -v dotnet-gcdump || echo "$HOME/.dotnet/tools/dotnet-gcdump")
[[ -x $gcdump ]] || gcdump=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start SYS: sets $url and $pid (the server process itself: the session leader execs into it).
start() {
  local sys=$1 dir cmd pidfile
  dir=$work/$sys; mkdir -p "$dir"
  url="http://127.0.0.1:$(free_port)"
  cmd=${template[$sys]}
  cmd=${cmd//\{data_dir\}/$dir/data}
  cmd=${cmd//\{client_url\}/$url}
  cmd=${cmd//\{peer_url\}/http://127.0.0.1:$(free_port)}
  pidfile=$dir/pid
  log "starting $sys: $cmd"
  (cd "$repo" && exec setsid bash -c "echo \$\$ >'$pidfile'; exec $cmd" >"$dir/server.log" 2>&1) &
  disown "$!"
  for _ in $(seq 100); do [[ -s $pidfile ]] && break; sleep 0.05; done
  pid=$(<"$pidfile"); pgid=$pid
  for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$dir/server.log" >&2; return 1; }
    "$bench" --endpoints "$url" --dial-timeout 1 range probe --consistency s --total 1 >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "$sys not ready after 300 s" >&2; return 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

# heap_bytes SYS: etcd's Go heap in use, or our live managed heap (after the full GC a gcdump does).
heap_bytes() {
  if [[ $1 == etcd ]]; then
    curl -s --max-time 30 -o /dev/null "$url/debug/pprof/heap?gc=1"
    curl -s --max-time 10 "$url/metrics" | awk '/^go_memstats_heap_alloc_bytes / {printf "%d\n", $2}'
  elif [[ -n $gcdump ]]; then
    local f=$work/ours-$RANDOM.gcdump
    timeout 120 "$gcdump" collect -p "$pid" -o "$f" >/dev/null 2>&1 || { echo NaN; return; }
    timeout 120 "$gcdump" report "$f" 2>/dev/null | awk '$2 == "GC" && $3 == "Heap" {gsub(",", "", $1); print $1; exit}'
    rm -f "$f"
  else
    echo NaN
  fi
}

# run_with_ready SYS LABEL ARGS...: runs the benchmark with --ready-file; measures while it waits.
run_with_ready() {
  local sys=$1 label=$2 ready out bpid; shift 2
  ready=$work/$sys-$label.ready out=$work/$sys-$label.txt
  rm -f "$ready"
  timeout --kill-after=10 600 "$bench" --endpoints "$url" --seed 42 --max-seconds 300 "$@" --ready-file "$ready" >"$out" 2>&1 &
  bpid=$!
  for _ in $(seq 3000); do [[ -e $ready ]] && break; kill -0 "$bpid" 2>/dev/null || break; sleep 0.1; done
  if [[ -e $ready ]]; then
    sleep 2 # let the server finish handling the creates it has answered (bookkeeping after the answer)
    measured_rss=$(rss_kb); measured_heap=$(heap_bytes "$sys")
    rm -f "$ready"
  else
    measured_rss=NaN measured_heap=NaN
  fi
  wait "$bpid" || true
  result=$(grep '^RESULT' "$out" | tail -n1 || true)
  [[ -n $result ]] || { tail -n 20 "$out" >&2; result="RESULT error=no-result-line"; }
}

summary=()
for sys in "${sys_list[@]}"; do
  start "$sys"
  "$bench" --endpoints "$url" --seed 42 --conns 10 --clients 100 put --total 2000 --val-size 256 --key-space-size 100000 >/dev/null
  sleep 2
  rss0=$(rss_kb); heap0=$(heap_bytes "$sys")
  log "$sys before: rss ${rss0} kB, heap ${heap0} B"

  run_with_ready "$sys" idle --conns 1 --clients 1 put --total 1 --idle-watchers "$watchers" --streams "$streams"
  rss1=$measured_rss heap1=$measured_heap idle_result=$result
  log "$sys with $watchers idle watchers: rss ${rss1} kB, heap ${heap1} B; $idle_result"

  # No warm-up puts: with 10,000 watchers they would double the events (and the peak memory) of this run, and
  # its figures are about scale, not the first puts' HTTP/2 window growth.
  run_with_ready "$sys" watch --conns 10 --clients 10 watch --watchers "$watchers" --streams "$streams" --total "$total" --val-size 256 --drain-timeout 60 --warmup-puts 0
  rss2=$measured_rss heap2=$measured_heap watch_result=$result
  log "$sys with $watchers prefix watchers: rss ${rss2} kB, heap ${heap2} B; $watch_result"
  rss_peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  stop_server

  summary+=("$(python3 - "$sys" "$watchers" "$rss0" "$heap0" "$rss1" "$heap1" "$rss2" "$heap2" "$rss_peak" <<'EOF'
import sys
name, n = sys.argv[1], int(sys.argv[2])
def f(x):
    try: return float(x)
    except ValueError: return float("nan")
rss0, heap0, rss1, heap1, rss2, heap2, peak = map(f, sys.argv[3:])
print(f"| {name} | {rss0/1024:.1f} | {rss1/1024:.1f} | {(rss1-rss0)*1024/n:.0f} | {heap0/2**20:.1f} | {heap1/2**20:.1f} | {(heap1-heap0)/n:.0f} "
      f"| {(rss2-rss0)*1024/n:.0f} | {(heap2-heap0)/n:.0f} | {peak/1024:.1f} |")
EOF
)")
  summary+=("  $sys idle:  $idle_result" "  $sys watch: $watch_result")
done

echo
echo "## $watchers watchers over $streams streams, one member, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| system | RSS before MB | RSS idle MB | RSS per idle watcher B | heap before MB | heap idle MB | heap per idle watcher B | RSS per prefix watcher B | heap per prefix watcher B | VmHWM MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for line in "${summary[@]}"; do [[ $line == \|* ]] && echo "$line"; done
echo
for line in "${summary[@]}"; do [[ $line == \|* ]] || echo "$line"; done
