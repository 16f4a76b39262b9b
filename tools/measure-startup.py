#!/usr/bin/env python3
"""Start-up time of a one-member etcd (ours or etcd 3.4), measured from process start.

For each run: a free client and peer port, a data dir (fresh temp dir, or a copy of --data-template),
start the command, and report the seconds from just before the process is spawned to
  ready: the "ready to serve client requests" log line,
  put:   the first `etcdctl put` that succeeds (tried once the client port accepts connections,
         retried every 20 ms, each try with 1 s timeouts).
The process is then stopped by PID (SIGTERM, then SIGKILL after 10 s).

  tools/measure-startup.py --runs 5 -- dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll
  tools/measure-startup.py --runs 5 -- etcd

The command gets --name, --data-dir and etcd's URL flags appended. Used for docs/benchmarks.md "Start-up".
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    # Below the ephemeral range, checked by binding (as Etcd.Specs/Support/FreePort.cs does).
    import random
    for _ in range(200):
        port = random.randint(10000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def cpu_seconds(pid):
    # utime + stime of the process (all threads), from /proc/<pid>/stat: less swayed by a busy box than wall time.
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def one_run(cmd, template, keep_log, ports):
    if ports:
        client, peer = ports
        for port in ports:
            # Never start against (or write into) somebody else's server on the same port.
            with socket.socket() as s:
                # SO_REUSEADDR as servers set it: the last run's TIME_WAIT connections do not block, a listener does.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    raise SystemExit(f"port {port} is taken")
    else:
        client, peer = free_port(), free_port()
        while peer == client:
            peer = free_port()
    tmp = tempfile.mkdtemp(prefix="startup-")
    data = os.path.join(tmp, "data.etcd")
    if template:
        shutil.copytree(template, data)
    curl, purl = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    args = cmd + ["--name", "default", "--data-dir", data,
                  "--listen-client-urls", curl, "--advertise-client-urls", curl,
                  "--listen-peer-urls", purl, "--initial-advertise-peer-urls", purl,
                  "--initial-cluster", f"default={purl}"]
    ready_at = [None]
    cpu_at = [None]
    ready_evt = threading.Event()
    lines = []
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def reader():
        for line in proc.stdout:
            lines.append(line)
            if ready_at[0] is None and "ready to serve client requests" in line:
                ready_at[0] = time.monotonic() - t0
                cpu_at[0] = cpu_seconds(proc.pid)
                ready_evt.set()
    threading.Thread(target=reader, daemon=True).start()

    put_at = None
    deadline = t0 + 120
    while time.monotonic() < deadline and proc.poll() is None:
        # etcdctl against a port nobody listens on yet waits out its dial timeout; probe the port first.
        try:
            socket.create_connection(("127.0.0.1", client), timeout=0.2).close()
        except OSError:
            time.sleep(0.01)
            continue
        r = subprocess.run(["etcdctl", "--endpoints", curl, "--dial-timeout", "1s", "--command-timeout", "1s",
                            "put", "startup-probe", "x"], capture_output=True, text=True, env={**os.environ, "ETCDCTL_API": "3"})
        if r.returncode == 0 and "OK" in r.stdout:
            put_at = time.monotonic() - t0
            break
        time.sleep(0.02)
    ready_evt.wait(5)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if keep_log:
        sys.stderr.write("".join(lines))
    shutil.rmtree(tmp, ignore_errors=True)
    return ready_at[0], put_at, cpu_at[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--data-template", help="a data dir copied for every run (e.g. one with 1M revisions)")
    p.add_argument("--ports", help="CLIENT,PEER: fixed ports, needed with a data template (a member's peer URL is in its data)")
    p.add_argument("--log", action="store_true", help="print each run's output to stderr")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    readies, puts, cpus = [], [], []
    for i in range(a.runs):
        ready, put, cpu = one_run(cmd, a.data_template, a.log, [int(x) for x in a.ports.split(",")] if a.ports else None)
        load = os.getloadavg()[0]
        show = lambda x: "-" if x is None else f"{x:.2f}"
        print(f"run {i + 1}: ready {show(ready)} s, first put {show(put)} s, CPU to ready {show(cpu)} s "
              f"(load {load:.1f})", flush=True)
        if ready is not None: readies.append(ready)
        if put is not None: puts.append(put)
        if cpu is not None: cpus.append(cpu)
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
    print(f"ready: {fmt(readies)}\nput:   {fmt(puts)}\ncpu:   {fmt(cpus)}")


if __name__ == "__main__":
    main()
