#!/usr/bin/env bash
# Run the same Etcd.Benchmark commands against our server and a real etcd, and print the RESULT
# lines of both side by side.
#
#   tools/bench-side-by-side.sh [--ours-endpoint URL | --ours-cmd CMD | --etcd-only]
#                               [--etcd-endpoint URL] [--etcd-bin PATH] [--scale N] [--runs N]
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
#   --runs N             repeat each command N times per server (default 1)
#
# Servers this script starts are stopped by PID on exit and their temp dirs removed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
ours_endpoint="" ours_cmd="" etcd_only=0 etcd_endpoint="" etcd_bin=etcd etcdctl_bin=etcdctl scale=1 runs=1
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
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [[ $etcd_only == 0 && -z $ours_endpoint && -z $ours_cmd ]]; then
  ours_cmd='dotnet run --project Etcd.Node -c Release -- --data-dir {data_dir} --listen-client-urls {client_url} --advertise-client-urls {client_url}'
fi

pids=() dirs=()
cleanup() {
  for pid in "${pids[@]}"; do
    # Stop the process group we created (dotnet run spawns the server as a child).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  for d in "${dirs[@]}"; do rm -rf -- "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready URL PID LOG: poll with a cheap serializable range until the server answers.
wait_ready() {
  local url=$1 pid=$2 log=$3
  for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server for $url exited early; log:" >&2; tail -n 30 "$log" >&2; return 1
    fi
    if "$bench" --endpoints "$url" --dial-timeout 1 range readiness-probe --consistency s --total 1 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "server for $url not ready after 300s; log:" >&2; tail -n 30 "$log" >&2; return 1
}

# start_server NAME CMD-TEMPLATE: sets $started_url; runs in its own process group.
start_server() {
  local name=$1 template=$2 dir cport pport cmd log
  dir=$(mktemp -d "/tmp/bench-$name.XXXXXX"); dirs+=("$dir")
  cport=$(free_port); pport=$(free_port)
  started_url="http://127.0.0.1:$cport"
  cmd=${template//\{data_dir\}/$dir/data}
  cmd=${cmd//\{client_url\}/$started_url}
  cmd=${cmd//\{peer_url\}/http://127.0.0.1:$pport}
  log=$dir/server.log
  echo "# starting $name: $cmd" >&2
  (cd "$repo" && exec setsid bash -c "exec $cmd" >"$log" 2>&1) &
  pids+=("$!")
  wait_ready "$started_url" "$!" "$log"
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

t() { echo $(( $1 / scale > 0 ? $1 / scale : 1 )); }
commands=(
  "put --conns 10 --clients 100 --total $(t 20000) --val-size 256 --key-space-size 100000"
  "range foo --conns 10 --clients 100 --total $(t 20000)"
  "range foo --conns 10 --clients 100 --total $(t 20000) --consistency s"
  "txn-put --conns 10 --clients 100 --total $(t 10000) --val-size 256 --key-space-size 100000 --txn-ops 4"
  "put --conns 1 --clients 1 --total $(t 2000) --val-size 256"
)

for target in "${targets[@]}"; do
  # range foo needs the key to exist on every server.
  ETCDCTL_API=3 "$etcdctl_bin" --endpoints "${target#*=}" put foo bar >/dev/null
done

# Interleave: each command runs on etcd, then on ours, before the next one, so both servers see
# roughly the same background load (this matters on small shared machines).
results=()
for cmd in "${commands[@]}"; do
  for r in $(seq "$runs"); do
    for target in "${targets[@]}"; do
      name=${target%%=*} url=${target#*=}
      echo "# $name ($url): $cmd" >&2
      line=$("$bench" --endpoints "$url" --seed 42 $cmd | grep '^RESULT' || true)
      [[ -n $line ]] || line="RESULT (no result line: see stderr above)"
      results+=("$(printf '%-5s %s' "$name" "$line")")
      echo "${results[-1]}" >&2
    done
  done
  results+=("      [$cmd]" "")
done

echo
printf '%s\n' "${results[@]}"
