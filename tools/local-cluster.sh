#!/usr/bin/env bash
# Starts the local three-member cluster of the Procfile (hocon/node1.conf ... node3.conf) with one command:
#   tools/local-cluster.sh            build Etcd.Node once (Release), then run the Procfile; Ctrl-C stops it
#   tools/local-cluster.sh --clean    delete ./cluster-data (every member's data) and exit
# The Procfile runs under foreman (apt-get install ruby-foreman) or goreman when either is installed;
# otherwise, or with LOCAL_CLUSTER_RUNNER=script, this script starts the three processes itself and
# stops them by PID. Members: infra1..infra3, clients on 127.0.0.1:2379/22379/32379, peers on
# 127.0.0.1:2380/22380/32380, data in ./cluster-data/infraN of the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--clean" ]; then
  rm -rf ./cluster-data
  echo "removed ./cluster-data"
  exit 0
fi
if [ $# -gt 0 ]; then
  echo "usage: $0 [--clean]" >&2
  exit 2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Once, before any member starts: three `dotnet run` at the same time would race on one build output.
dotnet build Etcd.Node/Etcd.Node.csproj -c Release -nologo -v quiet

runner="${LOCAL_CLUSTER_RUNNER:-}"
if [ -z "$runner" ]; then
  if command -v foreman >/dev/null 2>&1; then runner=foreman
  elif command -v goreman >/dev/null 2>&1; then runner=goreman
  else runner=script
  fi
fi

case "$runner" in
  # -t: the members get 15 s (foreman's default is 5) to hand over leadership and stop before SIGKILL.
  foreman) exec foreman start -f Procfile -d . -t 15 ;;
  goreman) exec goreman -f Procfile start ;;
  script) ;;
  *) echo "LOCAL_CLUSTER_RUNNER must be foreman, goreman or script, not $runner" >&2; exit 2 ;;
esac

# Without foreman: each "name: command" line of the Procfile becomes a background process whose output
# is prefixed with its name. The commands are plain words (no quoting, no variables), as the Procfile keeps them.
names=()
pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Up to 15 s for a graceful stop, like foreman -t 15, then SIGKILL whatever is left.
  for _ in $(seq 1 150); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

while IFS= read -r line || [ -n "$line" ]; do
  [[ "$line" =~ ^([A-Za-z0-9_-]+):[[:space:]]*(.+)$ ]] || continue
  name="${BASH_REMATCH[1]}"
  read -ra argv <<<"${BASH_REMATCH[2]}"
  # The prefixer ignores SIGINT so that a Ctrl-C still shows the members' shutdown lines.
  "${argv[@]}" > >(trap "" INT; exec sed -u "s/^/$name | /") 2>&1 &
  pids+=("$!")
  names+=("$name")
  echo "started $name (pid $!): ${BASH_REMATCH[2]}"
done < Procfile

# Like foreman: when one member exits, stop the others and report which one it was. (A polling loop
# rather than `wait -n`, which needs bash 5.1.)
set +e
while :; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      wait "${pids[$i]}"
      status=$?
      echo "${names[$i]} (pid ${pids[$i]}) exited with status $status; stopping the others"
      exit "$status"
    fi
  done
  sleep 1
done
