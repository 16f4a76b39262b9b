# Helpers shared by the tools/bench-*.sh scripts (sourced, not run): free loopback ports, servers started in a
# process group of their own and stopped by that group's id on exit (dotnet run spawns the server as a child), their
# temp dirs removed, and a bounded readiness wait. Source it after `set -euo pipefail` and after setting $repo; it
# installs the EXIT trap. Set $bench (the Etcd.Benchmark binary; bench_build sets it) before calling bench_wait_ready.

bench_pids=() bench_dirs=()

bench_cleanup() {
  local pid d
  for pid in "${bench_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${bench_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  for d in "${bench_dirs[@]}"; do rm -rf -- "$d"; done
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# bench_build BUILD: with BUILD=1 builds Etcd.Benchmark and Etcd.Node (Release); then sets $bench (the Etcd.Benchmark
# binary) and $node_dll (Etcd.Node.dll, run with dotnet), and fails if the binary is not there (--no-build before any build).
bench_build() {
  if [[ $1 == 1 ]]; then
    dotnet build "$repo/tools/Etcd.Benchmark" -c Release -v q -nologo >&2
    dotnet build "$repo/Etcd.Node" -c Release -v q -nologo >&2
  fi
  bench=$repo/tools/Etcd.Benchmark/bin/Release/net10.0/Etcd.Benchmark
  node_dll=$repo/Etcd.Node/bin/Release/net10.0/Etcd.Node.dll
  [[ -x $bench ]] || { echo "no $bench (drop --no-build)" >&2; return 1; }
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# bench_tempdir PREFIX: a temp dir removed on exit; sets $bench_dir.
bench_tempdir() {
  bench_dir=$(mktemp -d "/tmp/$1.XXXXXX")
  bench_dirs+=("$bench_dir")
}

# bench_spawn LOG CMD [ARGS...]: runs CMD from $repo in a new session (so a process group of its own), output to LOG;
# sets $bench_spawned to its pid, which bench_cleanup stops by group.
bench_spawn() {
  local log=$1; shift
  (cd "$repo" && exec setsid "$@" >"$log" 2>&1) &
  bench_spawned=$!
  bench_pids+=("$bench_spawned")
}

# bench_wait_ready URL PID LOG [BENCHMARK FLAGS...]: polls with a cheap serializable range (at most 600 times, 0.5 s
# apart) until the server answers; fails with the log's tail if the process exits or never answers.
bench_wait_ready() {
  local url=$1 pid=$2 log=$3; shift 3
  for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server for $url exited early; log:" >&2; tail -n 30 "$log" >&2; return 1
    fi
    if "$bench" --endpoints "$url" --dial-timeout 1 "$@" range readiness-probe --consistency s --total 1 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "server for $url not ready after 300s; log:" >&2; tail -n 30 "$log" >&2; return 1
}
