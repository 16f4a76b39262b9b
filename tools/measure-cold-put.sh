#!/usr/bin/env bash
# Cold and warm put throughput of one fresh one-member server, for docs/benchmarks.md "Start-up".
# Starts the command (etcd's flags appended) on a free port with a fresh data dir, waits for
# "ready to serve client requests", then runs Etcd.Benchmark put for 20 s (cold: the first load the
# process sees) and again for 20 s (warm), and stops the server by PID. Prints both RESULT lines.
#   tools/measure-cold-put.sh dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll
set -euo pipefail
B="dotnet $(dirname "$0")/Etcd.Benchmark/bin/Release/net10.0/Etcd.Benchmark.dll"
# Two free ports below the ephemeral range, each checked by binding (as Etcd.Specs/Support/FreePort.cs).
read -r port peer < <(python3 -c 'import random,socket
got=[]
while len(got) < 2:
    p=random.randint(10000,32000); s=socket.socket()
    try: s.bind(("127.0.0.1",p)); s.close(); got.append(p) if p not in got else None
    except OSError: pass
print(*got)')
data=$(mktemp -d /tmp/coldput-XXXXXX)
url=http://127.0.0.1:$port
"$@" --name default --data-dir "$data/d.etcd" --listen-client-urls "$url" --advertise-client-urls "$url" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "default=http://127.0.0.1:$peer" > "$data/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do grep -q "ready to serve client requests" "$data/log" && break; sleep 0.1; done
for phase in cold warm; do
  echo "$phase load $(cut -d' ' -f1 /proc/loadavg)"
  $B --endpoints "$url" --conns 10 --clients 100 --server-pids $pid --max-seconds 20 \
    put --total 1000000 --val-size 256 --key-space-size 100000 | grep RESULT || true
done
