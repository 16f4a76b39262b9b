#!/usr/bin/env bash
# Issue 10's performance figures, side by side with etcd 3.4 in one run. One etcd member and one Etcd.Node member,
# each listening on an http and an https client URL (the same certificates for both, made here with openssl in a temp
# dir: a CA, a server certificate for 127.0.0.1, a client certificate; --client-cert-auth on), then per round, per
# command, each member in turn (etcd first in odd rounds, ours first in even ones):
#   tls   put over https with --cacert/--cert/--key
#   off   put over http, auth off
#   on    put over http with --user bench:benchpw (auth on, simple tokens; user bench has a readwrite role on the
#         prefix bench/, which every key is put under); auth is enabled just before this run and disabled after it
# every put: --conns 10 --clients 100 --total N --val-size 256 --key-space-size 100000 --key-prefix bench/.
# Odd rounds run tls, off, on; even rounds tls, on, off. Prints each RESULT line, a markdown table (ops/s, p99 ms,
# server CPU µs per put, the benchmark client's own CPU µs per put; rounds separated by " / ") and the issue's two
# targets: TLS, ours at least etcd's rate; auth, ours on within 10% of ours off (means over the rounds).
#
#   tools/bench-tls-auth.sh [--runs N] [--total N] [--kinds LIST] [--variant NAME=DLL]... [--no-build]
#
#   --kinds LIST        a comma-separated subset of tls,off,on (default all three; their order per round as above)
#   --variant NAME=DLL  an A/B arm: another build of ours (its Etcd.Node.dll, e.g. a copy of main's bin/Release
#                       output) started as a third member beside the other two and measured in the same rounds, as
#                       its own column NAME; the member order rotates by one each round. Repeatable.
#   BENCH_NICE=N        runs every member under nice -n N (default 0), as tools/bench-peer-tls.sh
#
# Every process it starts runs in a process group of its own and is stopped by that group's id on exit
# (tools/bench-lib.sh); data and certificate directories are temporary and removed; every loop is bounded.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=2 total=20000 build=1 kinds_arg=tls,off,on
declare -A variant_dll=()
variants=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --total) total=$2; shift 2 ;;
    --kinds) kinds_arg=$2; shift 2 ;;
    --variant) [[ $2 =~ ^([A-Za-z][A-Za-z0-9_-]*)=(.+)$ ]] || { echo "--variant NAME=DLL" >&2; exit 2; }
               v=${BASH_REMATCH[1]}
               [[ $v != etcd && $v != ours && -z ${variant_dll[$v]:-} ]] || { echo "--variant: name '$v' taken" >&2; exit 2; }
               [[ -f ${BASH_REMATCH[2]} ]] || { echo "--variant: no file ${BASH_REMATCH[2]}" >&2; exit 2; }
               variant_dll[$v]=$(realpath "${BASH_REMATCH[2]}"); variants+=("$v"); shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$total"; do
  [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || { echo "--runs and --total need positive integers" >&2; exit 2; }
done
IFS=, read -r -a kinds_on <<<"$kinds_arg"
for k in "${kinds_on[@]}"; do
  [[ $k == tls || $k == off || $k == on ]] || { echo "--kinds: '$k' is not tls, off or on" >&2; exit 2; }
done
has_kind() { local k; for k in "${kinds_on[@]}"; do [[ $k == "$1" ]] && return 0; done; return 1; }
servers=(etcd ours "${variants[@]}")

source "$repo/tools/bench-lib.sh"

bench_build "$build"

bench_tempdir bench-certs; certs=$bench_dir
(
  cd "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=bench-ca 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=bench-server 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile server.ext -out server.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout client-key.pem -out client.csr -subj /CN=bench 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile client.ext -out client.pem 2>/dev/null
)
tls_flags=(--cacert "$certs/ca.pem" --cert "$certs/client.pem" --key "$certs/client-key.pem")

declare -A plain tls pid
start() {
  local name=$1 dir hp sp pp; shift
  bench_tempdir "bench-tls-auth-$name"; dir=$bench_dir
  hp=$(free_port); sp=$(free_port); pp=$(free_port)
  plain[$name]=http://127.0.0.1:$hp tls[$name]=https://127.0.0.1:$sp
  echo "# starting $name: ${plain[$name]} ${tls[$name]}" >&2
  bench_spawn "$dir/server.log" nice -n "${BENCH_NICE:-0}" "$@" --name m --data-dir "$dir/data" \
    --listen-client-urls "${plain[$name]},${tls[$name]}" --advertise-client-urls "${plain[$name]}" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "m=http://127.0.0.1:$pp" \
    --cert-file "$certs/server.pem" --key-file "$certs/server-key.pem" --trusted-ca-file "$certs/ca.pem" --client-cert-auth
  pid[$name]=$bench_spawned
  bench_wait_ready "${plain[$name]}" "$bench_spawned" "$dir/server.log"
  bench_wait_ready "${tls[$name]}" "$bench_spawned" "$dir/server.log" "${tls_flags[@]}"
}
start etcd etcd
start ours dotnet "$node_dll"
for v in "${variants[@]}"; do start "$v" dotnet "${variant_dll[$v]}"; done

ctl() { local u=$1; shift; ETCDCTL_API=3 etcdctl --endpoints "$u" "$@" >/dev/null; }
for s in "${servers[@]}"; do
  u=${plain[$s]}
  ctl "$u" user add root --new-user-password=rootpw --interactive=false
  ctl "$u" user grant-role root root
  ctl "$u" user add bench --new-user-password=benchpw --interactive=false
  ctl "$u" role add bench
  ctl "$u" role grant-permission bench readwrite bench/ --prefix
  ctl "$u" user grant-role bench bench
  # Untimed warm-up (JIT, first pages of the backend).
  "$bench" --endpoints "$u" --conns 10 --clients 100 --total 5000 put --val-size 256 --key-space-size 100000 --key-prefix bench/ >/dev/null 2>&1
done

put_flags=(--conns 10 --clients 100 --total "$total" --seed 42 --max-seconds 120)
put_cmd=(put --val-size 256 --key-space-size 100000 --key-prefix bench/)
raw=()
for r in $(seq "$runs"); do
  # Two members: etcd first in odd rounds, ours in even ones; with variants the order rotates by one each round.
  n=${#servers[@]} order=() kinds=()
  if (( n == 2 )); then
    order=(etcd ours); (( r % 2 == 0 )) && order=(ours etcd)
  else
    for i in $(seq 0 $((n - 1))); do order+=("${servers[$(( (i + r - 1) % n ))]}"); done
  fi
  for k in tls off on; do has_kind "$k" && kinds+=("$k"); done
  if (( r % 2 == 0 )); then
    kinds=(); for k in tls on off; do has_kind "$k" && kinds+=("$k"); done
  fi
  for kind in "${kinds[@]}"; do
    for s in "${order[@]}"; do
      case $kind in
        tls) args=(--endpoints "${tls[$s]}" "${tls_flags[@]}") ;;
        off) args=(--endpoints "${plain[$s]}") ;;
        on) args=(--endpoints "${plain[$s]}" --user bench:benchpw)
            ctl "${plain[$s]}" auth enable ;;
      esac
      echo "# round $r, $s, $kind" >&2
      line=$(timeout --kill-after=10 300 "$bench" "${args[@]}" "${put_flags[@]}" --server-pids "${pid[$s]}" "${put_cmd[@]}" | grep '^RESULT' || true)
      [[ $kind == on ]] && ctl "${plain[$s]}" --user root:rootpw auth disable
      [[ -n $line ]] || line="RESULT (no result line: see stderr above)"
      printf '%-5s %-4s %s\n' "$s" "$kind" "$line" >&2
      raw+=("$(printf '%s\t%s\t%s\t%s' "$kind" "$r" "$s" "$line")")
    done
  done
done

echo "## Client TLS and auth, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), --runs $runs --total $total --kinds $kinds_arg"
for v in "${variants[@]}"; do echo "variant $v: ${variant_dll[$v]}"; done
printf '%s\n' "${raw[@]}" | SERVERS="${servers[*]}" python3 -c '
import os, sys, collections
servers = os.environ["SERVERS"].split()
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for l in sys.stdin:
    kind, run, name, line = l.rstrip("\n").split("\t")
    rows[kind][name].append(dict(p.split("=", 1) for p in line.split()[1:] if "=" in p))
labels = {"tls": "put over client TLS", "off": "put, auth off", "on": "put, auth on (simple token)"}
def nums(kind, name, key):
    out = []
    for kv in rows[kind][name]:
        try: out.append(float(kv[key]))
        except (KeyError, ValueError): out.append(float("nan"))
    return out
def cell(kind, name, key, d): return " / ".join(f"{v:.{d}f}" for v in nums(kind, name, key)) or "n/a"
def verdict(ok): return "met" if ok else "NOT met"
def mean(xs):
    xs = [x for x in xs if x == x and x > 0]  # a run that failed (no result line, nothing done) is left out
    return sum(xs) / len(xs) if xs else float("nan")
def ratio(a, b): return a / b if b == b and b > 0 else float("nan")
heads = ["etcd 3.4" if s == "etcd" else s for s in servers]
print("| put 10 conns / 100 clients | figure | " + " | ".join(heads) + " |")
print("|---|---|" + "---|" * len(servers))
for kind in ("tls", "off", "on"):
    if kind not in rows: continue
    for label, key, d in (("puts/s", "ops_per_sec", 0), ("p99 ms", "p99_ms", 1), ("server CPU µs per put", "server_cpu_us_per_op", 0),
                          ("benchmark client CPU µs per put", "client_cpu_us_per_op", 0)):
        print(f"| {labels[kind]} | {label} | " + " | ".join(cell(kind, s, key, d) for s in servers) + " |")
print()
if "tls" in rows:
    tls_e = mean(nums("tls", "etcd", "ops_per_sec"))
    for s in servers[1:]:
        tls_o = mean(nums("tls", s, "ops_per_sec"))
        print(f"TLS target (ours >= etcd over TLS), {s}: {tls_o:.0f} vs etcd {tls_e:.0f} puts/s = {ratio(tls_o, tls_e):.2f}x: {verdict(tls_o >= tls_e)}")
if "on" in rows and "off" in rows:
    on_e, off_e = mean(nums("on", "etcd", "ops_per_sec")), mean(nums("off", "etcd", "ops_per_sec"))
    for s in servers[1:]:
        on_o, off_o = mean(nums("on", s, "ops_per_sec")), mean(nums("off", s, "ops_per_sec"))
        cpu_on, cpu_off = mean(nums("on", s, "server_cpu_us_per_op")), mean(nums("off", s, "server_cpu_us_per_op"))
        print(f"auth target (on >= 0.9 x off), {s}: {on_o:.0f} / {off_o:.0f} = {ratio(on_o, off_o):.2f}: {verdict(on_o >= 0.9 * off_o)};"
              f" CPU per put on/off {cpu_on:.0f} / {cpu_off:.0f} µs = {ratio(cpu_on, cpu_off):.2f} (etcd: {on_e:.0f} / {off_e:.0f} = {ratio(on_e, off_e):.2f})")
'
