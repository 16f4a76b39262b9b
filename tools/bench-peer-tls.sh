#!/usr/bin/env bash
# Issue 10's peer TLS figure, side by side with etcd 3.4: three members per cluster, client URLs http, peer URLs http
# or https. Every https cluster (etcd's and ours) uses the same certificates, made here with openssl in a temp dir: an
# ECDSA P-256 CA and one certificate per member (SANs 127.0.0.1 and localhost, server and client use), started with
# --peer-cert-file --peer-key-file --peer-trusted-ca-file --peer-client-cert-auth.
#
#   tools/bench-peer-tls.sh [--runs N] [--total N] [--cases LIST] [--variant NAME=FILE]... [--no-build]
#
#   --cases LIST     clusters to run, each SYSTEM-SCHEME[-VARIANT] (default etcd-https,ours-https,etcd-http,ours-http):
#                    SYSTEM etcd or ours, SCHEME http or https (peer URLs), VARIANT a name given with --variant
#   --variant NAME=FILE  ours with --config-file FILE (a HOCON .conf whose akka section is laid over the member's, e.g.
#                    other akka.remote.dot-netty.tcp settings): for A/B pairs of transport settings in the same minutes
#   --runs N         rounds (default 3); --total N puts per run (default 20000)
#
# All clusters run at once (idle ones cost little: heartbeats); each round runs every case once, in the listed order
# on odd rounds and reversed on even ones, so no case always gets the warmer or the quieter minute. One run:
# `Etcd.Benchmark --seed 42 --endpoints <all three members> --conns 10 --clients 100 --server-pids <the three members>
# put --total N --val-size 256 --key-space-size 100000` (connections round-robin over the members, as etcd's
# benchmark with --endpoints a,b,c), after one untimed warm-up run of N/4 per cluster. Prints every RESULT line with
# the load average at its start, then a markdown table: put/s, p99 ms and server CPU µs per put (the three members'
# CPU over the timed window, per put), rounds separated by " / ", and the means.
#
# Every process it starts runs in a process group of its own and is stopped by that group's id on exit
# (tools/bench-lib.sh); data and certificate directories are temporary and removed; every loop is bounded.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=3 total=20000 build=1 cases="etcd-https,ours-https,etcd-http,ours-http"
declare -A variant_file=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --total) total=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --variant) [[ $2 == *=* ]] || { echo "--variant NAME=FILE" >&2; exit 2; }
               variant_file[${2%%=*}]=$(realpath "${2#*=}"); shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$total"; do
  [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || { echo "--runs and --total need positive integers" >&2; exit 2; }
done
IFS=, read -r -a case_list <<<"$cases"
for c in "${case_list[@]}"; do
  [[ $c =~ ^(etcd|ours)-(http|https)(-([A-Za-z0-9_]+))?$ ]] || { echo "--cases: SYSTEM-SCHEME[-VARIANT], got '$c'" >&2; exit 2; }
  v=${BASH_REMATCH[4]}
  if [[ -n $v ]]; then
    [[ ${BASH_REMATCH[1]} == ours ]] || { echo "--cases: a variant is for ours only ('$c')" >&2; exit 2; }
    [[ -n ${variant_file[$v]:-} ]] || { echo "--cases: no --variant $v=FILE for '$c'" >&2; exit 2; }
  fi
done

source "$repo/tools/bench-lib.sh"

bench_build "$build"

bench_tempdir bench-peer-certs; certs=$bench_dir
(
  cd "$certs"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca-key.pem -out ca.pem -days 2 \
    -subj /CN=bench-peer-ca 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >peer.ext
  for m in m1 m2 m3; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $m-key.pem -out $m.csr -subj /CN=$m 2>/dev/null
    openssl x509 -req -in $m.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile peer.ext -out $m.pem 2>/dev/null
  done
)

members=(m1 m2 m3)
declare -A endpoints pids
start_cluster() { # CASE
  local c=$1 sys scheme variant dir m ic="" cmd
  IFS=- read -r sys scheme variant <<<"$c"
  bench_tempdir "bench-peer-$c"; dir=$bench_dir
  declare -A cp pp
  for m in "${members[@]}"; do
    cp[$m]=$(free_port) pp[$m]=$(free_port)
    ic+="${ic:+,}$m=$scheme://127.0.0.1:${pp[$m]}"
  done
  endpoints[$c]="" pids[$c]=""
  for m in "${members[@]}"; do
    if [[ $sys == etcd ]]; then cmd=(etcd); else cmd=(dotnet "$node_dll"); fi
    cmd+=(--name "$m" --data-dir "$dir/$m" --listen-client-urls "http://127.0.0.1:${cp[$m]}"
      --advertise-client-urls "http://127.0.0.1:${cp[$m]}" --listen-peer-urls "$scheme://127.0.0.1:${pp[$m]}"
      --initial-advertise-peer-urls "$scheme://127.0.0.1:${pp[$m]}" --initial-cluster "$ic"
      --initial-cluster-token "bench-$c" --initial-cluster-state new)
    if [[ $scheme == https ]]; then
      cmd+=(--peer-cert-file "$certs/$m.pem" --peer-key-file "$certs/$m-key.pem" --peer-trusted-ca-file "$certs/ca.pem"
        --peer-client-cert-auth)
    fi
    [[ -n $variant ]] && cmd+=(--config-file "${variant_file[$variant]}")
    echo "# starting $c $m: ${cmd[*]}" >&2
    bench_spawn "$dir/$m.log" nice -n "${BENCH_NICE:-0}" "${cmd[@]}"
    pids[$c]+="${pids[$c]:+ }$bench_spawned"
    endpoints[$c]+="${endpoints[$c]:+,}http://127.0.0.1:${cp[$m]}"
  done
  local p i=0
  for p in ${pids[$c]}; do
    m=${members[i]}; i=$((i + 1))
    bench_wait_ready "http://127.0.0.1:${cp[$m]}" "$p" "$dir/$m.log"
  done
}

# server_pids CASE: the processes listening on the members' client ports (the servers; `nice` execs into them).
server_pids() {
  local out="" ep port p
  IFS=, read -r -a eps <<<"${endpoints[$1]}"
  for ep in "${eps[@]}"; do
    port=${ep##*:}
    p=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)
    out+="${out:+,}$p"
  done
  echo "$out"
}

for c in "${case_list[@]}"; do start_cluster "$c"; done
put_cmd=(put --val-size 256 --key-space-size 100000)
for c in "${case_list[@]}"; do
  echo "# warm-up $c" >&2
  "$bench" --seed 7 --endpoints "${endpoints[$c]}" --conns 10 --clients 100 --total $(( total / 4 > 0 ? total / 4 : 1 )) \
    --max-seconds 120 "${put_cmd[@]}" >/dev/null 2>&1 || true
done

raw=()
for r in $(seq "$runs"); do
  order=("${case_list[@]}")
  if (( r % 2 == 0 )); then
    order=(); for (( i = ${#case_list[@]} - 1; i >= 0; i-- )); do order+=("${case_list[i]}"); done
  fi
  for c in "${order[@]}"; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    line=$(timeout --kill-after=10 300 "$bench" --seed 42 --endpoints "${endpoints[$c]}" --conns 10 --clients 100 \
      --total "$total" --max-seconds 120 --server-pids "$(server_pids "$c")" "${put_cmd[@]}" | grep '^RESULT' || true)
    [[ -n $line ]] || line="RESULT (no result line)"
    printf 'round %s %-16s load %s %s\n' "$r" "$c" "$load" "$line" >&2
    raw+=("$(printf '%s\t%s\t%s\t%s' "$c" "$r" "$load" "$line")")
  done
done

echo "## Peer TLS, 3 members, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), --runs $runs --total $total, commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo ' + local changes')"
for v in "${!variant_file[@]}"; do echo "variant $v: $(tr '\n' ' ' <"${variant_file[$v]}")"; done
printf '%s\n' "${raw[@]}" | python3 -c '
import sys, collections
rows = collections.defaultdict(list)
order = []
for l in sys.stdin:
    c, run, load, line = l.rstrip("\n").split("\t")
    if c not in order: order.append(c)
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    kv["load"] = load
    rows[c].append(kv)
def nums(c, key):
    out = []
    for kv in rows[c]:
        try: out.append(float(kv[key]))
        except (KeyError, ValueError): out.append(float("nan"))
    return out
def mean(xs):
    xs = [x for x in xs if x == x and x > 0]
    return sum(xs) / len(xs) if xs else float("nan")
print("| case | put/s | p99 ms | server CPU µs/put | load at start | mean put/s | mean CPU µs/put |")
print("|---|---|---|---|---|---|---|")
for c in order:
    cells = [" / ".join(f"{v:.{d}f}" for v in nums(c, key)) for key, d in (("ops_per_sec", 0), ("p99_ms", 1), ("server_cpu_us_per_op", 0), ("load", 1))]
    means = [f"{mean(nums(c, key)):.0f}" for key in ("ops_per_sec", "server_cpu_us_per_op")]
    print("| " + " | ".join([c] + cells + means) + " |")
'
