using System.Globalization;
using System.Text;

namespace Etcd.Benchmark;

/// <summary>
/// watch --delay-dump PATH: one CSV line per (watcher, event) pair, so a delay tail can be traced to a member, a
/// moment of the run or a put connection instead of being read off one percentile. Columns: the watcher, the
/// endpoint index its stream is on (stream w mod --streams, endpoint s mod endpoints, as <see cref="WatchStreams"/>
/// places them), the put's index, its connection and that connection's endpoint index (--conns round-robin over the
/// endpoints, <see cref="Runner"/>), its revision, and the ms from the first put's send to the put's send, its
/// answer and the event's read. Written after the run, so it costs the measured window nothing.
/// </summary>
public static class WatchDelayDump
{
    public static void Write(string path, WatchPuts puts, IReadOnlyList<WatcherLog> logs, BenchOptions o)
    {
        var revToPut = new Dictionary<long, int>(puts.Revisions.Length);
        for (int i = 0; i < puts.Revisions.Length; i++)
        {
            if (puts.Ok[i])
            {
                revToPut[puts.Revisions[i]] = i;
            }
        }
        double msPerTick = 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        int streams = Math.Min(o.Streams, Math.Max(1, logs.Count));
        var inv = CultureInfo.InvariantCulture;
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        w.WriteLine("watcher,watcher_ep,put,put_conn,put_ep,rev,send_ms,ack_ms,recv_ms");
        for (int x = 0; x < logs.Count; x++)
        {
            var log = logs[x];
            int ep = x % streams % o.Endpoints.Count;
            for (int e = 0; e < log.Count; e++)
            {
                if (!revToPut.TryGetValue(log.Revisions[e], out int p))
                {
                    continue;
                }
                w.WriteLine(string.Create(inv, $"{x},{ep},{p},{puts.Conns[p]},{puts.Conns[p] % o.Endpoints.Count},{log.Revisions[e]},{(puts.SendTicks[p] - puts.StartTick) * msPerTick:F3},{(puts.AckTicks[p] - puts.StartTick) * msPerTick:F3},{(log.ReceivedTicks[e] - puts.StartTick) * msPerTick:F3}"));
            }
        }
    }
}
