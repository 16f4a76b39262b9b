#!/usr/bin/env bash
# Issue 11's memory and start-up goals, ours against a real etcd 3.4.23, in one run (docs/benchmarks.md
# "Memory and start-up"):
#   rss1     one member each, fresh: RSS at idle (5 s after ready; anon and file-backed, from /proc/PID/status:
#            ReadyToRun images and SQLite's mapped files count as file-backed), then 3 x 30k puts
#            (--conns 10 --clients 100, 256-byte values, 100k keys) and 20k linearizable ranges of one key,
#            then the peak (VmHWM) and the RSS left; the three put runs' ops/s are printed as well
#   rss3     tools/bench-cluster.sh --workloads kv --total 30000 (three members each): its VmHWM row
#   start    tools/measure-startup.py, one run per system per round, fresh data dir
#   start1m  the same on a copy of a data dir with 1 million revisions (--template-ours / --template-etcd,
#            each a directory holding data.etcd/ and a `ports` file "CLIENT,PEER": a member's peer URL is in
#            its data, so it restarts on the ports it was built with)
#   coldput  tools/measure-cold-put.sh (the first 20 s of puts after ready, and the next 20 s)
# Every part runs --rounds times, the two systems one after the other, etcd first in odd rounds and ours first
# in even ones; every figure line carries the load average of its minute.
#
#   tools/bench-memory-startup.sh [--rounds N] [--parts rss1,rss3,start,start1m,coldput]
#        [--ours-cmd "dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll"] [--etcd-cmd etcd]
#        [--template-ours DIR] [--template-etcd DIR] [--systems etcd,ours] [--variant NAME=CMD]...
#   --variant NAME=CMD  one more system to measure, started like ours with CMD (an A/B pair of settings, e.g.
#                       ours-wx0="env DOTNET_EnableWriteXorExecute=0 dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll");
#                       list it in --systems; it uses --template-ours for start1m and counts as ours in rss3
#
# The servers it starts are stopped by process group (tools/bench-lib.sh) and their temp dirs removed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
variants=() rounds=2 parts=rss1,rss3,start,start1m,coldput systems=etcd,ours
ours_cmd="dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll" etcd_cmd=etcd tpl_ours="" tpl_etcd=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --parts) parts=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    --ours-cmd) ours_cmd=$2; shift 2 ;;
    --etcd-cmd) etcd_cmd=$2; shift 2 ;;
    --template-ours) tpl_ours=$2; shift 2 ;;
    --template-etcd) tpl_etcd=$2; shift 2 ;;
    --variant) variants+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ $rounds =~ ^[0-9]+$ && $rounds -gt 0 ]] || { echo "--rounds needs a positive integer" >&2; exit 2; }
has_part() { [[ ",$parts," == *",$1,"* ]]; }
if has_part start1m && [[ -z $tpl_ours || -z $tpl_etcd ]]; then
  echo "start1m needs --template-ours and --template-etcd" >&2; exit 2
fi
IFS=, read -r -a sys_list <<<"$systems"
declare -A cmd_of=([etcd]="$etcd_cmd" [ours]="$ours_cmd") tpl_of=([etcd]="$tpl_etcd" [ours]="$tpl_ours")
for v in "${variants[@]}"; do cmd_of[${v%%=*}]=${v#*=}; tpl_of[${v%%=*}]=$tpl_ours; done
for s in "${sys_list[@]}"; do [[ -n ${cmd_of[$s]:-} ]] || { echo "--systems: no command for '$s'" >&2; exit 2; }; done

source "$repo/tools/bench-lib.sh"
bench=$repo/tools/Etcd.Benchmark/bin/Release/net10.0/Etcd.Benchmark
[[ -x $bench ]] || { echo "no $bench: build tools/Etcd.Benchmark -c Release first" >&2; exit 1; }
results=$(mktemp /tmp/bench-memstart-results.XXXXXX)
bench_dirs+=("$results")

load() { cut -d' ' -f1 /proc/loadavg; }
emit() { # PART ROUND SYS key=value...
  local line="FIG part=$1 round=$2 sys=$3 load=$(load) ${*:4}"
  echo "$line" | tee -a "$results" >&2
}
order_for() { # ROUND -> the systems in this round's order: the list rotated by one each round
  local n=${#sys_list[@]} i out=()
  for ((i = 0; i < n; i++)); do out+=("${sys_list[((i + $1 - 1) % n)]}"); done
  echo "${out[*]}"
}
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo NaN; }

rss1() { # ROUND SYS
  local r=$1 sys=$2 cport pport url dir pid i line ops=()
  bench_tempdir "memstart-$sys"; dir=$bench_dir
  cport=$(free_port); pport=$(free_port); url=http://127.0.0.1:$cport
  # bench_spawn runs the command in a session of its own; exec keeps the server as that pid.
  bench_spawn "$dir/log" bash -c "exec ${cmd_of[$sys]} --name default --data-dir $dir/data --listen-client-urls $url \
    --advertise-client-urls $url --listen-peer-urls http://127.0.0.1:$pport --initial-advertise-peer-urls http://127.0.0.1:$pport \
    --initial-cluster default=http://127.0.0.1:$pport"
  pid=$bench_spawned
  bench_wait_ready "$url" "$pid" "$dir/log"
  sleep 5
  emit rss1-idle "$r" "$sys" "rss_mb=$(( $(kb "$pid" VmRSS) / 1024 )) anon_mb=$(( $(kb "$pid" RssAnon) / 1024 ))" \
    "file_mb=$(( $(kb "$pid" RssFile) / 1024 )) threads=$(kb "$pid" Threads)"
  ETCDCTL_API=3 timeout 15 etcdctl --endpoints "$url" put foo bar >/dev/null
  for i in 1 2 3; do
    line=$(timeout --kill-after=10 300 "$bench" --endpoints "$url" --seed $i --max-seconds 120 --conns 10 --clients 100 \
      put --total 30000 --val-size 256 --key-space-size 100000 | grep '^RESULT' || true)
    ops+=("$(grep -o 'ops_per_sec=[0-9.]*' <<<"$line" | cut -d= -f2 || echo NaN)")
  done
  timeout --kill-after=10 300 "$bench" --endpoints "$url" --max-seconds 120 --conns 10 --clients 100 range foo --total 20000 >/dev/null || true
  emit rss1-load "$r" "$sys" "peak_mb=$(( $(kb "$pid" VmHWM) / 1024 )) rss_mb=$(( $(kb "$pid" VmRSS) / 1024 ))" \
    "anon_mb=$(( $(kb "$pid" RssAnon) / 1024 )) file_mb=$(( $(kb "$pid" RssFile) / 1024 )) threads=$(kb "$pid" Threads)" \
    "put_ops=$(IFS=/; echo "${ops[*]}")"
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

rss3() { # ROUND SYS
  local out kind=ours
  [[ $2 == etcd ]] && kind=etcd
  out=$("$repo/tools/bench-cluster.sh" --no-build --workloads kv --total 30000 --systems "$kind" \
    --ours-cmd "${cmd_of[$2]} --name {name} --data-dir {data_dir} --listen-client-urls {client_url} --advertise-client-urls {client_url} --listen-peer-urls {peer_url} --initial-advertise-peer-urls {peer_url} --initial-cluster {initial_cluster} --initial-cluster-token bench-cluster --initial-cluster-state new" \
    2>/dev/null || true)
  local hwm
  hwm=$(grep -o 'vmhwm_kb=[0-9]*' <<<"$out" | cut -d= -f2 | awk '{printf "%s%d", (NR > 1 ? "/" : ""), $1 / 1024}')
  emit rss3 "$1" "$2" "peak_mb=${hwm:-NaN}"
}

start() { # PART ROUND SYS
  local out tpl="" ports=()
  if [[ $1 == start1m ]]; then tpl=${tpl_of[$3]}; ports=(--ports "$(<"$tpl/ports")" --data-template "$tpl/data.etcd"); fi
  # The whole output first: a pipe closed early (head) would fail the script under pipefail.
  out=$(cd "$repo" && "$repo/tools/measure-startup.py" --runs 1 "${ports[@]}" -- ${cmd_of[$3]})
  out=$(grep -m1 '^run 1:' <<<"$out" || echo "run 1: ready - s, first put - s, CPU to ready - s")
  emit "$1" "$2" "$3" "$(sed -E 's/run 1: ready ([0-9.-]+) s, first put ([0-9.-]+) s, CPU to ready ([0-9.-]+) s.*/ready_s=\1 put_s=\2 cpu_s=\3/' <<<"$out")"
}

coldput() { # ROUND SYS
  local out
  out=$(cd "$repo" && "$repo/tools/measure-cold-put.sh" ${cmd_of[$2]} 2>&1 | grep RESULT || true)
  emit coldput "$1" "$2" "cold_ops=$(sed -n 1p <<<"$out" | grep -o 'ops_per_sec=[0-9.]*' | cut -d= -f2)" \
    "cold_cpu_us=$(sed -n 1p <<<"$out" | grep -o 'server_cpu_us_per_op=[0-9.]*' | cut -d= -f2)" \
    "warm_ops=$(sed -n 2p <<<"$out" | grep -o 'ops_per_sec=[0-9.]*' | cut -d= -f2)" \
    "warm_cpu_us=$(sed -n 2p <<<"$out" | grep -o 'server_cpu_us_per_op=[0-9.]*' | cut -d= -f2)"
}

for part in rss1 rss3 start start1m coldput; do
  has_part "$part" || continue
  for r in $(seq "$rounds"); do
    for sys in $(order_for "$r"); do
      echo "# $(date -u +%H:%M:%S) $part round $r $sys" >&2
      case $part in
        rss1) rss1 "$r" "$sys" ;;
        rss3) rss3 "$r" "$sys" ;;
        start|start1m) start "$part" "$r" "$sys" ;;
        coldput) coldput "$r" "$sys" ;;
      esac
    done
  done
done

echo "## Memory and start-up, $(date -u '+%Y-%m-%d %H:%M UTC'), load average now $(cut -d' ' -f1-3 /proc/loadavg), --rounds $rounds"
python3 - "$results" <<'EOF'
import collections, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    rows.setdefault(kv.pop("part"), collections.defaultdict(list))[kv.pop("sys")].append(kv)
for part, by in rows.items():
    keys = [k for k in next(iter(by.values()))[0] if k != "round"]
    print(f"\n| {part} | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for sys_, runs in by.items():
        print(f"| {sys_} | " + " | ".join(", ".join(r.get(k, "NaN") for r in runs) for k in keys) + " |")
EOF
