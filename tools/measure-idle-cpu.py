#!/usr/bin/env python3
"""CPU of members at rest: one member or a three-member cluster per variant, no client, all variants at once.

Every variant (NAME=CMD, e.g. etcd, or ours built two ways) is started on free ports with a fresh temp data dir, all
at the same time, so the figures of a run come from the same minutes. Once every member logged "ready to serve client
requests", and --settle seconds more (elections, JIT, the first timers), each process's CPU (utime + stime of
/proc/PID/stat) and each of its threads' CPU and context switches (/proc/PID/task/TID/stat, status) are read, then
again --seconds later. Reported per variant: CPU in ms per second (summed over its members), and per thread name
(threads of one name summed, e.g. every ".NET TP Worker") CPU ms/s and wake-ups/s (voluntary context switches: each is
a sleep that ended, so a timer firing or a message arriving). Processes are stopped by PID (SIGTERM, SIGKILL after 10 s).

  tools/measure-idle-cpu.py --members 1 --seconds 30 --rounds 2 \\
    --variant etcd=etcd --variant ours="dotnet Etcd.Node/bin/Release/net10.0/Etcd.Node.dll"
  tools/measure-idle-cpu.py --members 3 ...   (three members per variant, one cluster each)

Each command gets --name, --data-dir, etcd's URL flags and --initial-cluster appended. Used for docs/benchmarks.md
"Idle CPU and put 1/1".
"""
import argparse
import collections
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TCK = os.sysconf("SC_CLK_TCK")
taken = set()


def free_port():
    # Below the ephemeral range, checked by binding (as Etcd.Specs/Support/FreePort.cs does); never one handed out.
    for _ in range(500):
        port = random.randint(10000, 32000)
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError("no free port")


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def threads(pid):
    # {tid: (name, cpu ticks, voluntary switches, involuntary switches)}
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
            name = raw[raw.index("(") + 1:raw.rindex(")")]
            fields = raw.rsplit(")", 1)[1].split()
            vol = invol = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        vol = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        invol = int(line.split()[1])
            out[tid] = (name, int(fields[11]) + int(fields[12]), vol, invol)
        except (OSError, ValueError):
            continue
    return out


class Member:
    def __init__(self, variant, cmd, name, cluster, client, peer, data):
        curl, purl = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
        args = shlex.split(cmd) + ["--name", name, "--data-dir", data,
                                   "--listen-client-urls", curl, "--advertise-client-urls", curl,
                                   "--listen-peer-urls", purl, "--initial-advertise-peer-urls", purl,
                                   "--initial-cluster", cluster, "--initial-cluster-token", f"idle-{variant}"]
        self.variant, self.name = variant, name
        self.ready = threading.Event()
        self.lines = collections.deque(maxlen=200)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if "ready to serve client requests" in line:
                self.ready.set()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_variant(variant, cmd, members, tmp):
    ports = [(free_port(), free_port()) for _ in range(members)]
    names = [f"m{i + 1}" for i in range(members)]
    cluster = ",".join(f"{n}=http://127.0.0.1:{p}" for n, (_, p) in zip(names, ports))
    return [Member(variant, cmd, n, cluster, c, p, os.path.join(tmp, f"{variant}-{n}"))
            for n, (c, p) in zip(names, ports)]


def one_round(variants, members, settle, seconds, top):
    tmp = tempfile.mkdtemp(prefix="idlecpu-")
    started = []
    try:
        for name, cmd in variants:
            started.append((name, start_variant(name, cmd, members, tmp)))
        deadline = time.monotonic() + 120
        for _, ms in started:
            for m in ms:
                if not m.ready.wait(max(0.0, deadline - time.monotonic())):
                    sys.stderr.write("".join(m.lines))
                    raise SystemExit(f"{m.variant}/{m.name} not ready in 120 s")
        time.sleep(settle)
        before = {(v, m.name): (proc_cpu(m.proc.pid), threads(m.proc.pid)) for v, ms in started for m in ms}
        t0 = time.monotonic()
        load0 = os.getloadavg()[0]
        time.sleep(seconds)
        after = {(v, m.name): (proc_cpu(m.proc.pid), threads(m.proc.pid)) for v, ms in started for m in ms}
        dt = time.monotonic() - t0
        load1 = os.getloadavg()[0]
        print(f"-- {time.strftime('%H:%M:%S', time.gmtime())} UTC, {dt:.1f} s, load {load0:.1f} -> {load1:.1f}")
        for v, ms in started:
            total = 0.0
            per_member = []
            by_name = collections.defaultdict(lambda: [0.0, 0.0, 0.0])
            for m in ms:
                c0, t0s = before[(v, m.name)]
                c1, t1s = after[(v, m.name)]
                ms_per_s = (c1 - c0) * 1000.0 / TCK / dt
                total += ms_per_s
                per_member.append(ms_per_s)
                for tid, (tname, cpu, vol, invol) in t1s.items():
                    p = t0s.get(tid, (tname, 0, 0, 0))
                    key = tname.rstrip("0123456789 ") or tname
                    agg = by_name[key]
                    agg[0] += (cpu - p[1]) * 1000.0 / TCK / dt / len(ms)
                    agg[1] += (vol - p[2]) / dt / len(ms)
                    agg[2] += (invol - p[3]) / dt / len(ms)
            wake = sum(a[1] for a in by_name.values())
            print(f"{v:>12}: {total:6.1f} ms CPU/s over {len(ms)} member(s) "
                  f"({', '.join(f'{x:.1f}' for x in per_member)}); {wake:.0f} wake-ups/s per member")
            for tname, (cpu, vol, invol) in sorted(by_name.items(), key=lambda kv: -kv[1][1])[:top]:
                print(f"{'':>14}{tname:<24} {cpu:6.2f} ms/s  {vol:7.1f} wake-ups/s  {invol:5.1f} preempted/s")
        sys.stdout.flush()
    finally:
        for _, ms in started:
            for m in ms:
                m.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--variant", action="append", required=True, help="NAME=CMD, may repeat")
    p.add_argument("--members", type=int, default=1)
    p.add_argument("--settle", type=float, default=10)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--top", type=int, default=8, help="thread names shown per variant (per member averages)")
    a = p.parse_args()
    variants = [tuple(v.split("=", 1)) for v in a.variant]
    for _ in range(a.rounds):
        one_round(variants, a.members, a.settle, a.seconds, a.top)


if __name__ == "__main__":
    main()
