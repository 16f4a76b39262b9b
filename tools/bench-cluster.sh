#!/usr/bin/env bash
# Benchmark a 3-member real etcd and a 3-member Etcd.Node cluster side by side on this machine:
# puts through all members and through the leader, linearizable and serializable ranges through a
# follower, peak memory per member, and the write outage when the leader is SIGKILLed.
#
#   tools/bench-cluster.sh [--ours-cmd TEMPLATE] [--total N] [--runs N] [--systems etcd,ours]
#                          [--failover-rate R] [--failover-seconds S] [--kill-after S]
#                          [--etcd-bin PATH] [--etcdctl-bin PATH] [--logs DIR] [--no-build]
#                          [--workloads kv,range1k,watch,lease,failover] [--warmup]
#
#   --ours-cmd TEMPLATE  how to start one of our members; {name} {data_dir} {client_url} {peer_url}
#                        {initial_cluster} are substituted. Default:
#                          dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll <etcd's flags>
#                        where <etcd's flags> are the ones the etcd members get (see etcd_flags below).
#   --total N            requests per put / range run (default 20000)
#   --runs N             how many times the whole set runs (default 1)
#   --systems LIST       etcd,ours (default), or just one of them
#   --failover-rate R    puts per second during the failover probe (default 200)
#   --failover-seconds S length of the failover probe (default 8; the kill is --kill-after into it)
#   --kill-after S       when the leader is SIGKILLed, seconds into the probe (default 2)
#   --etcd-bin PATH      etcd to start (default: etcd on PATH); --etcdctl-bin likewise
#   --logs DIR           copy every member's log and every benchmark's full output to DIR on exit
#   --no-build           do not build Etcd.Benchmark / Etcd.Node first
#   --warmup             before run 1, an untimed put (10 conns / 100 clients, --total puts over all three members)
#                        on every system, so put-all measures warm members, not the JIT's first seconds (the cold
#                        figure is tools/measure-cold-put.sh's); without it put-all is each cluster's first load
#   --workloads LIST     which groups run each round (default kv,range1k,watch,lease,failover; memory always):
#                        kv = put-all put-leader range-l range-s; range1k = range1k-l range1k-s;
#                        watch = watch put-idle0 put-idle1000; lease = lease-grant lease-keepalive;
#                        failover = failover + rejoin
#
# One run, per system in turn for each workload (etcd first on odd runs, ours first on even runs, so
# neither always gets the warmer or the quieter minute):
#   put-all      --conns 10 --clients 100 put --val-size 256 --key-space-size 100000, connections spread
#                round-robin over the three members (as etcd's benchmark does with --endpoints a,b,c)
#   put-leader   the same with every connection to the leader
#   range-l      range foo, linearizable, every connection to one follower
#   range-s      the same, serializable
#   range1k-l    range range1k/ range1k0 (1,000 keys of 256 bytes, put through the leader before run 1),
#                linearizable, --total/10 ranges, every connection to one follower; range1k-s serializable
#   watch        Etcd.Benchmark watch: 100 watchers on a prefix over 10 streams spread round-robin over
#                the three members, 100 clients putting --total/4 keys under the prefix through all three;
#                events/s, delivery delay p99 (from each put's send), and every watcher must see every
#                event once, in order
#   put-idle0 / put-idle1000   put-all without and with 1000 idle watchers (over all members), back to
#                back, for the issue's "put rate with 1000 idle watchers within 10% of none"
#   lease-grant  --conns 10 --clients 100 lease-grant --total N/2 through all members (revoked afterwards)
#   lease-keepalive  1000 leases kept alive, --total N, through all members (followers forward)
#   memory       VmHWM of every member process (the server itself, found as the process listening on
#                the member's client port, not a `dotnet run` wrapper) after the loads above
#   failover     Etcd.Benchmark failover: puts at --failover-rate to the two followers, the leader
#                SIGKILLed --kill-after seconds in; reports the time from the kill to the first put
#                (sent after it) that succeeds and to a steady rate again. The killed member is then
#                restarted on its data dir and must rejoin: every member agrees on a leader and a
#                linearizable get through the restarted member answers. The clusters are not recreated,
#                so later runs start from a different leader and a bigger data set.
# BENCH_WATCH_ARGS (environment): more flags for the watch run, e.g. "--warmup-puts 0" for the figures as taken
# before the watch streams were warmed up (tools/Etcd.Benchmark/README.md, watch).
# Ends with one markdown table and the raw RESULT lines. Every member it starts is stopped by process
# group id on exit (SIGTERM, then SIGKILL after 5 s) and the temp dirs are removed; every wait loop and
# every benchmark has a count and a time bound.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
ours_cmd="" total=20000 runs=1 systems="etcd,ours" fo_rate=200 fo_seconds=8 kill_after=2
etcd_bin=etcd etcdctl_bin=etcdctl logs_dir="" build=1 workloads=kv,range1k,watch,lease,failover warmup=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ours-cmd) ours_cmd=$2; shift 2 ;;
    --total) total=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    --failover-rate) fo_rate=$2; shift 2 ;;
    --failover-seconds) fo_seconds=$2; shift 2 ;;
    --kill-after) kill_after=$2; shift 2 ;;
    --etcd-bin) etcd_bin=$2; shift 2 ;;
    --etcdctl-bin) etcdctl_bin=$2; shift 2 ;;
    --logs) logs_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --warmup) warmup=1; shift ;;
    --workloads) workloads=$2; shift 2 ;;
    -h|--help) sed -n '2,58p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for n in "$total" "$runs" "$fo_rate" "$fo_seconds"; do
  [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || { echo "--total, --runs, --failover-rate, --failover-seconds need positive integers" >&2; exit 2; }
done
[[ $kill_after =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "--kill-after needs a number of seconds" >&2; exit 2; }
IFS=, read -r -a wl_groups <<<"$workloads"
for w in "${wl_groups[@]}"; do
  [[ $w =~ ^(kv|range1k|watch|lease|failover)$ ]] || { echo "--workloads: kv, range1k, watch, lease and/or failover, got '$w'" >&2; exit 2; }
done
has_group() { [[ ",$workloads," == *",$1,"* ]]; }
IFS=, read -r -a sys_list <<<"$systems"
for s in "${sys_list[@]}"; do [[ $s == etcd || $s == ours ]] || { echo "--systems: etcd and/or ours, got '$s'" >&2; exit 2; }; done

etcd_flags='--name {name} --data-dir {data_dir} --listen-client-urls {client_url} --advertise-client-urls {client_url} --listen-peer-urls {peer_url} --initial-advertise-peer-urls {peer_url} --initial-cluster {initial_cluster} --initial-cluster-token bench-cluster --initial-cluster-state new'
default_ours=0
if [[ -z $ours_cmd ]]; then
  ours_cmd="dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll $etcd_flags"
  default_ours=1
fi
declare -A template=([etcd]="$etcd_bin $etcd_flags" [ours]="$ours_cmd")

work=$(mktemp -d /tmp/bench-cluster.XXXXXX)
declare -A pgid=() client_url=() peer_url=() data_dir=() initial_cluster=()
members=(m1 m2 m3)

summary_done=0
cleanup() {
  local key alive
  if [[ $summary_done == 0 && -s ${results:-/nonexistent} ]]; then
    echo; echo "(incomplete: the script stopped before the end; the figures so far)"
    summary || true
  fi
  for key in "${!pgid[@]}"; do kill -TERM -- "-${pgid[$key]}" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for key in "${!pgid[@]}"; do kill -0 -- "-${pgid[$key]}" 2>/dev/null && alive=1; done
    [[ $alive == 1 ]] || break
    sleep 0.1
  done
  for key in "${!pgid[@]}"; do kill -KILL -- "-${pgid[$key]}" 2>/dev/null || true; done
  if [[ -n $logs_dir ]]; then
    mkdir -p "$logs_dir" && cp -r "$work"/*.log "$work"/out "$logs_dir"/ 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "# $*" >&2; }
ctl() { ETCDCTL_API=3 timeout 15 "$etcdctl_bin" --dial-timeout=2s --command-timeout=3s "$@"; }

if [[ $build == 1 ]]; then
  log "building Etcd.Benchmark (Release)"
  dotnet build "$repo/tools/Etcd.Benchmark" -c Release -v q -nologo >&2
  if [[ $default_ours == 1 && " ${sys_list[*]} " == *" ours "* ]]; then
    log "building Etcd.Node (Release)"
    dotnet build "$repo/Etcd.Node" -c Release -v q -nologo >&2
  fi
fi
bench=$repo/tools/Etcd.Benchmark/bin/Release/net10.0/Etcd.Benchmark
[[ -x $bench ]] || { echo "no $bench (drop --no-build)" >&2; exit 1; }

# Distinct free loopback ports, all held open at once so none is handed out twice.
ports=($(python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' 12))

i=0
for sys in "${sys_list[@]}"; do
  ic=""
  for m in "${members[@]}"; do
    client_url[$sys,$m]="http://127.0.0.1:${ports[i]}"
    peer_url[$sys,$m]="http://127.0.0.1:${ports[i+1]}"
    data_dir[$sys,$m]="$work/$sys-$m.data"
    ic+="${ic:+,}$m=${peer_url[$sys,$m]}"
    i=$((i + 2))
  done
  initial_cluster[$sys]=$ic
done
mkdir -p "$work/out"

# start_member SYS MEMBER: in a session of its own (so its process group can be stopped as a whole).
start_member() {
  local sys=$1 m=$2 cmd
  cmd=${template[$sys]}
  cmd=${cmd//\{name\}/$m}
  cmd=${cmd//\{data_dir\}/${data_dir[$sys,$m]}}
  cmd=${cmd//\{client_url\}/${client_url[$sys,$m]}}
  cmd=${cmd//\{peer_url\}/${peer_url[$sys,$m]}}
  cmd=${cmd//\{initial_cluster\}/${initial_cluster[$sys]}}
  log "starting $sys $m: $cmd"
  local pidfile="$work/$sys-$m.pgid"
  rm -f "$pidfile"
  # The session leader writes its own pid (setsid forks first when it was started as a group leader,
  # so $! is not always it), then becomes the member: that pid is the member's process group.
  (cd "$repo" && exec setsid bash -c "echo \$\$ >'$pidfile'; exec $cmd" >>"$work/$sys-$m.log" 2>&1) &
  disown "$!" # its death (SIGKILL on purpose) is not news for the shell
  for _ in $(seq 100); do [[ -s $pidfile ]] && break; sleep 0.05; done
  [[ -s $pidfile ]] || { echo "$sys $m did not start" >&2; return 1; }
  pgid[$sys,$m]=$(<"$pidfile")
}

endpoints_of() { # SYS MEMBER... -> comma-separated client URLs
  local sys=$1 out="" m; shift
  for m in "$@"; do out+="${out:+,}${client_url[$sys,$m]}"; done
  echo "$out"
}

# leader_of SYS MEMBER...: prints the member every listed member names as leader; fails otherwise.
leader_of() {
  local sys=$1; shift
  local eps json
  eps=$(endpoints_of "$sys" "$@")
  json=$(ctl --endpoints "$eps" endpoint status -w json 2>/dev/null) || return 1
  python3 -c '
import json, sys
eps, names = sys.argv[1].split(","), sys.argv[2:]
st = {e["Endpoint"]: e["Status"] for e in json.loads(sys.stdin.read())}
if len(st) != len(eps): sys.exit(1)
leaders = {st[e]["leader"] for e in eps}
lead = leaders.pop() if len(leaders) == 1 else 0
hit = [n for e, n in zip(eps, names) if st[e]["header"]["member_id"] == lead]
if not lead or not hit: sys.exit(1)
print(hit[0])' "$eps" "$@" <<<"$json"
}

# wait_leader SYS SECONDS MEMBER...: sets $leader once all listed members agree.
wait_leader() {
  local sys=$1 secs=$2 m; shift 2
  for _ in $(seq $((secs * 2))); do
    for m in "$@"; do
      if ! kill -0 "${pgid[$sys,$m]}" 2>/dev/null; then
        echo "$sys $m exited; log:" >&2; tail -n 30 "$work/$sys-$m.log" >&2; return 1
      fi
    done
    if leader=$(leader_of "$sys" "$@"); then return 0; fi
    sleep 0.5
  done
  echo "$sys: no leader agreed by $* within ${secs}s" >&2
  for m in "$@"; do echo "--- $sys $m:" >&2; tail -n 15 "$work/$sys-$m.log" >&2; done
  return 1
}

# server_pid SYS MEMBER: the process listening on the member's client port (the server itself).
server_pid() {
  local port=${client_url[$1,$2]##*:}
  ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2
}

followers_of() { local m; for m in "${members[@]}"; do [[ $m == "$1" ]] || echo "$m"; done; }

results=$work/results.tsv
: >"$results"
record() { # RUN WORKLOAD SYS LINE [NOTE]
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-}" >>"$results"
  printf '%-5s %-10s %s %s\n' "$3" "$2" "$4" "${5:-}" >&2
}

# bench_run RUN WORKLOAD SYS ARGS...: one Etcd.Benchmark process, bounded by `timeout` too.
bench_run() {
  local run=$1 wl=$2 sys=$3 out line; shift 3
  out="$work/out/run$run-$wl-$sys.txt"
  log "$sys $wl: $*"
  # Every member's CPU over the timed window (server_cpu_us_per_op: the whole cluster's CPU per request).
  local pids="" m p
  for m in "${members[@]}"; do p=$(server_pid "$sys" "$m" || true); [[ -n $p ]] && pids+="${pids:+,}$p"; done
  timeout --kill-after=10 300 "$bench" --seed 42 ${pids:+--server-pids $pids} "$@" >"$out" 2>&1 || true
  line=$(grep '^RESULT' "$out" | tail -n1 || true)
  if [[ -z $line ]]; then line="RESULT op=$wl error=no-result-line"; tail -n 20 "$out" >&2; fi
  record "$run" "$wl" "$sys" "$line" "${note:-}"
}

put_args="--conns 10 --clients 100 put --total $total --val-size 256 --key-space-size 100000"
range_args="--conns 10 --clients 100 range foo --total $total"
range1k_args="--conns 10 --clients 100 range range1k/ range1k0 --total $(( total / 10 > 0 ? total / 10 : 1 ))"
watch_args="--conns 10 --clients 100 watch --watchers 100 --streams 10 --total $(( total / 4 > 0 ? total / 4 : 1 )) --val-size 256${BENCH_WATCH_ARGS:+ $BENCH_WATCH_ARGS}"
lease_grant_args="--conns 10 --clients 100 lease-grant --total $(( total / 2 > 0 ? total / 2 : 1 )) --ttl 60"
keepalive_args="--conns 10 --clients 100 lease-keepalive --total $total --leases 1000 --ttl 60"

workload() { # RUN WORKLOAD SYS
  local run=$1 wl=$2 sys=$3 f note
  wait_leader "$sys" 30 "${members[@]}"
  f=$(followers_of "$leader" | head -n1)
  case $wl in
    put-all) note="(all 3 members)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "${members[@]}")" $put_args ;;
    put-leader) note="(leader $leader)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "$leader")" $put_args ;;
    range-l) note="(follower $f)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "$f")" $range_args ;;
    range-s) note="(follower $f)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "$f")" $range_args --consistency s ;;
    range1k-l) note="(follower $f)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "$f")" $range1k_args ;;
    range1k-s) note="(follower $f)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "$f")" $range1k_args --consistency s ;;
    watch) note="(all 3 members)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "${members[@]}")" $watch_args ;;
    put-idle0) note="(all 3 members)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "${members[@]}")" $put_args ;;
    put-idle1000) note="(all 3 members)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "${members[@]}")" $put_args --idle-watchers 1000 --streams 10 ;;
    lease-grant) note="(all 3 members)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "${members[@]}")" $lease_grant_args ;;
    lease-keepalive) note="(all 3 members)"; bench_run "$run" "$wl" "$sys" --endpoints "$(endpoints_of "$sys" "${members[@]}")" $keepalive_args ;;
  esac
}

memory() { # RUN SYS
  local m pid kb
  for m in "${members[@]}"; do
    pid=$(server_pid "$2" "$m")
    kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    record "$1" memory "$2" "RESULT op=vmhwm member=$m pid=${pid:-none} vmhwm_kb=${kb:-NaN}"
  done
}

failover() { # RUN SYS
  local run=$1 sys=$2 pid fs note rejoined=no
  wait_leader "$sys" 30 "${members[@]}"
  local killed=$leader
  mapfile -t fs < <(followers_of "$killed")
  pid=$(server_pid "$sys" "$killed")
  [[ -n $pid ]] || { echo "$sys: no process listens for leader $killed" >&2; return 1; }
  note="(killed leader $killed pid $pid; load on ${fs[*]})"
  bench_run "$run" failover "$sys" --endpoints "$(endpoints_of "$sys" "${fs[@]}")" --conns 4 --clients 256 \
    failover --rate "$fo_rate" --total $((fo_rate * fo_seconds)) --kill-pid "$pid" --kill-after "$kill_after" \
    --max-seconds $((fo_seconds + 10)) --val-size 256 --key-space-size 100000
  # The killed member: make sure it is gone (the tool may have failed before the kill), then restart it.
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-${pgid[$sys,$killed]}" 2>/dev/null || true
  start_member "$sys" "$killed"
  if wait_leader "$sys" 60 "${members[@]}" &&
     [[ $(ctl --endpoints "${client_url[$sys,$killed]}" get foo --print-value-only 2>/dev/null) == bar ]]; then
    rejoined=yes
  fi
  record "$run" rejoin "$sys" "RESULT op=rejoin member=$killed rejoined=$rejoined leader=${leader:-none}"
  [[ $rejoined == yes ]] || { echo "$sys: restarted $killed did not rejoin" >&2; return 1; }
}

for sys in "${sys_list[@]}"; do
  for m in "${members[@]}"; do start_member "$sys" "$m"; done
done
for sys in "${sys_list[@]}"; do
  wait_leader "$sys" 120 "${members[@]}"
  log "$sys: leader $leader"
  # range foo needs the key; put through the leader's endpoint so it is certainly committed.
  ctl --endpoints "${client_url[$sys,$leader]}" put foo bar >/dev/null
  if has_group range1k; then
    timeout --kill-after=10 300 "$bench" --endpoints "${client_url[$sys,$leader]}" --conns 1 --clients 10 --total 1000 put \
      --key-prefix range1k/ --sequential-keys --key-space-size 1000 --val-size 256 >/dev/null
  fi
done

# summary: the markdown table and the raw RESULT lines, from what $results holds so far.
summary() {
  echo
  echo "## Cluster benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "--total $total, --runs $runs, failover: ${fo_rate} puts/s for ${fo_seconds} s, leader SIGKILLed at ${kill_after} s"
  echo "etcd $("$etcd_bin" --version | head -n1 | sed 's/.*: //'); ours: commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo ' + local changes'), started as \`${template[ours]%% --name*} ...\`"
  echo
  python3 - "$results" <<'EOF'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def kv(line):
    return dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
by = collections.defaultdict(dict)   # (run, workload) -> sys -> [fields]
for run, wl, sysname, line, note in rows:
    by[(run, wl)].setdefault(sysname, []).append(kv(line))
runs = sorted({r for r, _ in by}, key=int)
def num(v):
    try: return float(v)
    except (TypeError, ValueError): return float("nan")
def fmt(v, d=0):
    return "n/a" if v != v else f"{v:.{d}f}"
def cmp(e, o, better):  # issue target: ours no worse than etcd
    if e != e or o != o: return ""
    return "yes" if (o >= e if better == "higher" else o <= e) else "no"
labels = {"put-all": "put, 3 endpoints", "put-leader": "put, leader only",
          "range-l": "range linearizable, follower", "range-s": "range serializable, follower",
          "range1k-l": "range of 1,000 keys linearizable, follower", "range1k-s": "range of 1,000 keys serializable, follower"}
# The issue's targets: ours no worse than etcd on these (higher or lower is better).
targets = {("put-all", "ops_per_sec"): "higher", ("put-all", "p99_ms"): "lower", ("range-l", "ops_per_sec"): "higher",
           ("range-s", "ops_per_sec"): "higher", ("range1k-l", "ops_per_sec"): "higher", ("range1k-s", "ops_per_sec"): "higher"}
print("| figure | run | etcd | ours | ours no worse (issue target) |")
print("|---|---|---|---|---|")
for wl, label in labels.items():
    for metric, key, d in (("ops/s", "ops_per_sec", 0), ("p99 ms", "p99_ms", 1)):
        for r in runs:
            if (r, wl) not in by: continue
            s = by.get((r, wl), {})
            e = num(s.get("etcd", [{}])[0].get(key)); o = num(s.get("ours", [{}])[0].get(key))
            errs = [f"{n} errors={s[n][0].get('errors')}" for n in ("etcd", "ours") if n in s and s[n][0].get("errors") not in (None, "0")]
            note = f" ({', '.join(errs)})" if errs else ""
            target = cmp(e, o, targets[(wl, key)]) if (wl, key) in targets else ""
            print(f"| {label}: {metric}{note} | {r} | {fmt(e, d)} | {fmt(o, d)} | {target} |")
def fig(wl, key, r, n):
    s = by.get((r, wl), {})
    return num(s.get(n, [{}])[0].get(key))
# The issue's watch and lease targets.
for label, wl, key, d, better in (
        ("watch: events delivered/s", "watch", "events_per_sec", 0, "higher"),
        ("watch: delivery delay p99 ms, from the put's send (target < 100)", "watch", "delay_p99_ms", 1, None),
        ("watch: delivery delay p99 ms, after the put's answer", "watch", "ack_delay_p99_ms", 1, None),
        ("watch: check errors (gaps, duplicates, reorders)", "watch", "check_errors", 0, None),
        ("lease-grant ops/s", "lease-grant", "ops_per_sec", 0, "higher"),
        ("lease-keepalive ops/s", "lease-keepalive", "ops_per_sec", 0, "higher")):
    for r in runs:
        if (r, wl) not in by: continue
        e, o = fig(wl, key, r, "etcd"), fig(wl, key, r, "ours")
        if better: target = cmp(e, o, better)
        elif key == "delay_p99_ms": target = "" if o != o else ("yes" if o < 100 else "no")
        elif key == "ack_delay_p99_ms": target = ""
        else: target = "" if o != o else ("yes" if o == 0 else "no")
        print(f"| {label} | {r} | {fmt(e, d)} | {fmt(o, d)} | {target} |")
for r in runs:
    if (r, "put-idle1000") not in by: continue
    cells = []
    for n in ("etcd", "ours"):
        none, idle = fig("put-idle0", "ops_per_sec", r, n), fig("put-idle1000", "ops_per_sec", r, n)
        cells.append("n/a" if none != none or idle != idle else f"{idle:.0f} vs {none:.0f} ({(idle / none - 1) * 100:+.0f}%)")
    o_none, o_idle = fig("put-idle0", "ops_per_sec", r, "ours"), fig("put-idle1000", "ops_per_sec", r, "ours")
    target = "" if o_none != o_none or o_idle != o_idle else ("yes" if o_idle >= 0.9 * o_none else "no") + " (>= 90%)"
    print(f"| put ops/s with 1000 idle watchers vs none | {r} | {cells[0]} | {cells[1]} | {target} |")
# The whole cluster's CPU per request over the timed window (summed over the three members): on a shared box the
# ops/s swing with the neighbours, the CPU per request much less.
for label, wl in (("watch: cluster CPU µs per put (100 events each)", "watch"), ("put, no watchers: cluster CPU µs per put", "put-idle0"),
                  ("put, 1000 idle watchers: cluster CPU µs per put", "put-idle1000"), ("lease-grant: cluster CPU µs per grant", "lease-grant"),
                  ("lease-keepalive: cluster CPU µs per keep-alive", "lease-keepalive"), ("put, 3 endpoints: cluster CPU µs per put", "put-all"),
                  ("range of 1,000 keys linearizable: cluster CPU µs per range", "range1k-l"),
                  ("range of 1,000 keys serializable: cluster CPU µs per range", "range1k-s")):
    for r in runs:
        if (r, wl) not in by: continue
        e, o = fig(wl, "server_cpu_us_per_op", r, "etcd"), fig(wl, "server_cpu_us_per_op", r, "ours")
        if e != e and o != o: continue
        print(f"| {label} | {r} | {fmt(e)} | {fmt(o)} |  |")
for metric, key in (("failover: first ok after kill, ms", "first_ok_ms"), ("failover: steady again after kill, ms", "steady_ms")):
    for r in runs:
        if (r, "failover") not in by: continue
        s = by.get((r, "failover"), {})
        e = num(s.get("etcd", [{}])[0].get(key)); o = num(s.get("ours", [{}])[0].get(key))
        target = "" if o != o else ("yes" if o <= 2000 else "no") + " (<= 2000)"
        print(f"| {metric} | {r} | {fmt(e)} | {fmt(o)} | {target} |")
for r in runs:
    s = by.get((r, "memory"), {})
    def mem(n):
        kbs = [num(f.get("vmhwm_kb")) / 1024 for f in s.get(n, [])]
        return kbs, ("/".join(fmt(k) for k in kbs) if kbs else "n/a")
    ek, et = mem("etcd"); ok, ot = mem("ours")
    target = cmp(max(ek), max(ok), "lower") if ek and ok else ""
    print(f"| VmHWM MB, m1/m2/m3 | {r} | {et} | {ot} | {target} (max) |")
for r in runs:
    if (r, "rejoin") not in by: continue
    s = by.get((r, "rejoin"), {})
    cell = lambda n: (s[n][0].get("member", "?") + " " + ("rejoined" if s[n][0].get("rejoined") == "yes" else "DID NOT rejoin")) if n in s else "n/a"
    print(f"| killed leader restarted | {r} | {cell('etcd')} | {cell('ours')} | |")
print()
print("Raw RESULT lines (run, workload, system):")
print("```")
for run, wl, sysname, line, note in rows:
    print(f"{run} {wl:<10} {sysname:<4} {line} {note}".rstrip())
print("```")
EOF
}

if (( warmup )); then
  for sys in "${sys_list[@]}"; do
    wait_leader "$sys" 30 "${members[@]}"
    log "$sys warm-up: $put_args"
    timeout --kill-after=10 300 "$bench" --seed 7 --endpoints "$(endpoints_of "$sys" "${members[@]}")" $put_args >"$work/out/warmup-$sys.txt" 2>&1 || true
  done
fi

for run in $(seq "$runs"); do
  order=("${sys_list[@]}")
  if (( run % 2 == 0 && ${#order[@]} == 2 )); then order=("${order[1]}" "${order[0]}"); fi
  wls=()
  if has_group kv; then wls+=(put-all put-leader range-l range-s); fi
  if has_group range1k; then wls+=(range1k-l range1k-s); fi
  if has_group watch; then wls+=(watch put-idle0 put-idle1000); fi
  if has_group lease; then wls+=(lease-grant lease-keepalive); fi
  for wl in "${wls[@]}"; do
    for sys in "${order[@]}"; do workload "$run" "$wl" "$sys"; done
  done
  for sys in "${order[@]}"; do memory "$run" "$sys"; done
  if has_group failover; then
    for sys in "${order[@]}"; do failover "$run" "$sys"; done
  fi
done

summary_done=1
summary
