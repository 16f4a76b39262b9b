#!/usr/bin/env bash
# Run the same Etcd.Benchmark commands against our server and a real etcd, and print the RESULT
# lines of both side by side.
#
#   tools/bench-side-by-side.sh [--ours-endpoint URL | --ours-cmd CMD | --etcd-only]
#                               [--etcd-endpoint URL] [--etcd-bin PATH] [--scale N] [--runs N]
#                               [--workloads kv,watch,lease] [--variant NAME=CMD]... [--warmup]
#
#   --ours-endpoint URL  benchmark an already running server (e.g. http://127.0.0.1:2379)
#   --ours-cmd CMD       start our server with CMD; the placeholders {data_dir} {client_url}
#                        {peer_url} are substituted with a temp dir and free loopback URLs.
#                        Default when neither is given and --etcd-only is absent:
#                        dotnet run --project Etcd.Node -c Release -- --data-dir {data_dir}
#                          --listen-client-urls {client_url} --advertise-client-urls {client_url}
#   --etcd-only          only benchmark etcd (useful until Etcd.Node exists)
#   --etcd-endpoint URL  use an already running etcd instead of starting one
#   --etcd-bin PATH      etcd binary to start (default: etcd on PATH)
#   --etcdctl-bin PATH   etcdctl used to seed key foo for the range runs (default: etcdctl on PATH)
#   --scale N            divide the default --total of every command by N (quick smoke runs)
#   --runs N             rounds: each command runs N times per server, etcd first in odd rounds and
#                        ours first in even ones (default 1); with variants, the servers' order rotates
#                        by one place every round instead
#   --variant NAME=CMD   one more of our servers to start (same placeholders as --ours-cmd) and run
#                        beside the others, for A/B pairs of builds or settings in the same minutes;
#                        may be repeated
#   --warmup             before the first round, one untimed put 10/100 of 10,000 on every server
#   --workloads LIST     which groups of commands (default kv,watch,lease):
#                        kv    put, range l/s, txn-put, single-client put (the original set)
#                        put   put 10 conns / 100 clients and put 1 conn / 1 client only
#                        watch watch (100 watchers on a prefix over 10 streams, puts at full rate under
#                              it, every watcher must get every event once, in order), then put with no
#                              watchers and put with 1000 idle watchers, back to back
#                        lease lease-grant and lease-keepalive (1000 leases), 10 conns / 100 clients
#                        range one key and 1,000 keys (256-byte values, under range1k/), linearizable and
#                              serializable, 10 conns / 100 clients (issue 11's read goal)
#                        txnrange the 1,000 keys read by a txn, 10 conns / 100 clients: as a read-only txn's
#                              range op, and as one value compare over them (range --txn op|compare)
#
# BENCH_WATCH_ARGS (environment): more flags for the watch command, e.g. "--warmup-puts 0" for the figures as
# taken before the watch streams were warmed up (tools/Etcd.Benchmark/README.md, watch).
# Servers this script starts are stopped by PID on exit and their temp dirs removed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
ours_endpoint="" ours_cmd="" etcd_only=0 etcd_endpoint="" etcd_bin=etcd etcdctl_bin=etcdctl scale=1 runs=1 workloads=kv,watch,lease
variants=() warmup=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ours-endpoint) ours_endpoint=$2; shift 2 ;;
    --ours-cmd) ours_cmd=$2; shift 2 ;;
    --etcd-only) etcd_only=1; shift ;;
    --etcd-endpoint) etcd_endpoint=$2; shift 2 ;;
    --etcd-bin) etcd_bin=$2; shift 2 ;;
    --etcdctl-bin) etcdctl_bin=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --variant) [[ $2 == *=* && ${2%%=*} =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "--variant NAME=CMD" >&2; exit 2; }; variants+=("$2"); shift 2 ;;
    --warmup) warmup=1; shift ;;
    -h|--help) sed -n '2,41p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for n in "$scale" "$runs"; do
  [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || { echo "--scale and --runs need positive integers" >&2; exit 2; }
done
IFS=, read -r -a wl_list <<<"$workloads"
for w in "${wl_list[@]}"; do
  [[ $w == kv || $w == put || $w == watch || $w == lease || $w == range || $w == txnrange ]] || { echo "--workloads: kv, put, watch, lease, range and/or txnrange, got '$w'" >&2; exit 2; }
done
if [[ $etcd_only == 0 && -z $ours_endpoint && -z $ours_cmd ]]; then
  ours_cmd='dotnet run --project Etcd.Node -c Release -- --data-dir {data_dir} --listen-client-urls {client_url} --advertise-client-urls {client_url}'
fi

source "$repo/tools/bench-lib.sh"

# start_server NAME CMD-TEMPLATE: sets $started_url; runs in its own process group.
start_server() {
  local name=$1 template=$2 dir cport pport cmd log
  bench_tempdir "bench-$name"; dir=$bench_dir
  cport=$(free_port); pport=$(free_port)
  started_url="http://127.0.0.1:$cport"
  cmd=${template//\{data_dir\}/$dir/data}
  cmd=${cmd//\{client_url\}/$started_url}
  cmd=${cmd//\{peer_url\}/http://127.0.0.1:$pport}
  log=$dir/server.log
  echo "# starting $name: $cmd" >&2
  bench_spawn "$log" bash -c "exec $cmd"
  bench_wait_ready "$started_url" "$bench_spawned" "$log"
}

echo "# building Etcd.Benchmark (Release)" >&2
dotnet build "$repo/tools/Etcd.Benchmark" -c Release -v q -nologo >&2
bench=$repo/tools/Etcd.Benchmark/bin/Release/net10.0/Etcd.Benchmark

if [[ -z $etcd_endpoint ]]; then
  start_server etcd "$etcd_bin --data-dir {data_dir} --listen-client-urls {client_url} --advertise-client-urls {client_url} --listen-peer-urls {peer_url} --initial-advertise-peer-urls {peer_url} --initial-cluster default={peer_url}"
  etcd_endpoint=$started_url
fi
targets=("etcd=$etcd_endpoint")
if [[ $etcd_only == 0 ]]; then
  if [[ -z $ours_endpoint ]]; then
    start_server ours "$ours_cmd"
    ours_endpoint=$started_url
  fi
  targets+=("ours=$ours_endpoint")
fi
for v in "${variants[@]}"; do
  start_server "${v%%=*}" "${v#*=}"
  targets+=("${v%%=*}=$started_url")
done

t() { echo $(( $1 / scale > 0 ? $1 / scale : 1 )); }
commands=()
for w in "${wl_list[@]}"; do
  case $w in
    kv) commands+=(
      "put --conns 10 --clients 100 --total $(t 20000) --val-size 256 --key-space-size 100000"
      "range foo --conns 10 --clients 100 --total $(t 20000)"
      "range foo --conns 10 --clients 100 --total $(t 20000) --consistency s"
      "txn-put --conns 10 --clients 100 --total $(t 10000) --val-size 256 --key-space-size 100000 --txn-ops 4"
      "put --conns 1 --clients 1 --total $(t 2000) --val-size 256") ;;
    put) commands+=(
      "put --conns 10 --clients 100 --total $(t 20000) --val-size 256 --key-space-size 100000"
      "put --conns 1 --clients 1 --total $(t 2000) --val-size 256") ;;
    watch) commands+=(
      "watch --conns 10 --clients 100 --watchers 100 --streams 10 --total $(t 5000) --val-size 256${BENCH_WATCH_ARGS:+ $BENCH_WATCH_ARGS}"
      # The issue's target: put rate with 1000 idle watchers within 10% of the rate with none, so the
      # two run back to back on each server ("--idle-watchers 0" keeps its row apart from kv's put).
      "put --conns 10 --clients 100 --total $(t 20000) --val-size 256 --key-space-size 100000 --idle-watchers 0"
      "put --conns 10 --clients 100 --total $(t 20000) --val-size 256 --key-space-size 100000 --idle-watchers 1000 --streams 10") ;;
    lease) commands+=(
      "lease-grant --conns 10 --clients 100 --total $(t 10000) --ttl 60"
      "lease-keepalive --conns 10 --clients 100 --total $(t 20000) --leases 1000 --ttl 60") ;;
    range) commands+=(
      "range foo --conns 10 --clients 100 --total $(t 40000)"
      "range foo --conns 10 --clients 100 --total $(t 40000) --consistency s"
      "range range1k/ range1k0 --conns 10 --clients 100 --total $(t 2000)"
      "range range1k/ range1k0 --conns 10 --clients 100 --total $(t 2000) --consistency s") ;;
    txnrange) commands+=(
      "range range1k/ range1k0 --conns 10 --clients 100 --total $(t 2000) --txn op"
      "range range1k/ range1k0 --conns 10 --clients 100 --total $(t 2000) --txn compare") ;;
  esac
done

for target in "${targets[@]}"; do
  # range foo needs the key to exist on every server.
  ETCDCTL_API=3 "$etcdctl_bin" --endpoints "${target#*=}" put foo bar >/dev/null
  if [[ $warmup == 1 ]]; then
    echo "# warm-up: ${target%%=*}" >&2
    timeout --kill-after=10 300 "$bench" --endpoints "${target#*=}" --max-seconds 120 put --conns 10 --clients 100 --total 10000 \
      --val-size 256 --key-space-size 100000 >/dev/null 2>&1 || true
  fi
  # range: 1,000 keys of 256 bytes under range1k/ (read as [range1k/, range1k0)).
  if [[ ,$workloads, == *,range,* || ,$workloads, == *,txnrange,* ]]; then
    "$bench" --endpoints "${target#*=}" --conns 1 --clients 10 --total 1000 put --key-prefix range1k/ --sequential-keys \
      --key-space-size 1000 --val-size 256 >/dev/null
  fi
done

# Interleave: round by round, each command runs on both servers before the next command, so both see
# roughly the same background load (this matters on small shared machines) and commands meant to be
# compared (put with and without idle watchers) run back to back; etcd goes first in odd rounds and
# ours in even ones, so neither always gets the warmer or the quieter minute. Every run is bounded by
# --max-seconds and by timeout(1).
raw=()
for r in $(seq "$runs"); do
  order=("${targets[@]}")
  if (( r % 2 == 0 && ${#order[@]} == 2 )); then order=("${order[1]}" "${order[0]}"); fi
  # Three servers or more: rotate by one place per round, so each goes first, in the middle and last in turn.
  if (( ${#order[@]} > 2 )); then
    k=$(( (r - 1) % ${#order[@]} )); order=("${order[@]:k}" "${order[@]:0:k}")
  fi
  for cmd in "${commands[@]}"; do
    for target in "${order[@]}"; do
      name=${target%%=*} url=${target#*=}
      echo "# round $r, $name ($url): $cmd" >&2
      # The server's CPU over the timed window (server_cpu_us_per_op), when it runs on this machine: unlike
      # ops/s it hardly depends on what the neighbours do.
      spid=$(ss -Hltnp "sport = :${url##*:}" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true)
      line=$(timeout --kill-after=10 300 "$bench" --endpoints "$url" --seed 42 --max-seconds 120 ${spid:+--server-pids $spid} $cmd | grep '^RESULT' || true)
      [[ -n $line ]] || line="RESULT (no result line: see stderr above)"
      raw+=("$(printf '%s\t%s\t%s\t%s' "$cmd" "$r" "$name" "$line")")
      printf '%-5s load=%s %s\n' "$name" "$(cut -d' ' -f1 /proc/loadavg)" "$line" >&2
    done
  done
done

# The RESULT lines grouped by command.
echo
for cmd in "${commands[@]}"; do
  for entry in "${raw[@]}"; do
    IFS=$'\t' read -r c r name line <<<"$entry"
    if [[ $c == "$cmd" ]]; then printf '%-5s %s\n' "$name" "$line"; fi
  done
  printf '      [%s]\n\n' "$cmd"
done

# A markdown table: per command, each server's main figures per round (rounds separated by " / ").
echo "## Side by side, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), --runs $runs --scale $scale"
printf '%s\n' "${raw[@]}" | python3 -c '
import sys, collections
figs = {"watch": [("events/s", "events_per_sec", 0), ("delay p99 ms (from send)", "delay_p99_ms", 1), ("delay p99 ms (after answer)", "ack_delay_p99_ms", 1), ("puts/s", "ops_per_sec", 0), ("server CPU µs per put (all its events)", "server_cpu_us_per_op", 0), ("check errors", "check_errors", 0)]}
default = [("ops/s", "ops_per_sec", 0), ("p99 ms", "p99_ms", 1), ("server CPU µs per op", "server_cpu_us_per_op", 1)]
by = collections.OrderedDict()
for l in sys.stdin:
    parts = l.rstrip("\n").split("\t")
    if len(parts) != 4: continue
    cmd, run, name, line = parts
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    by.setdefault(cmd, collections.defaultdict(list))[name].append(kv)
def cell(rows, key, d):
    out = []
    for kv in rows:
        try: out.append(f"{float(kv.get(key)):.{d}f}")
        except (TypeError, ValueError): out.append("n/a")
    return " / ".join(out) or "n/a"
names = list(dict.fromkeys(n for s in by.values() for n in s))
names.sort(key=lambda n: n != "etcd")
print("| command | figure | " + " | ".join(names) + " |")
print("|---|---|" + "---|" * len(names))
for cmd, s in by.items():
    op = cmd.split()[0]
    for label, key, d in figs.get(op, default):
        print(f"| `{cmd}` | {label} | " + " | ".join(cell(s.get(n, []), key, d) for n in names) + " |")
'

