using System.Globalization;
using System.Text;

namespace Etcd.Benchmark;

public static partial class Report
{
    public static string FormatWatch(WatchAnalysis a, BenchOptions o, IReadOnlyList<(string Message, long Count)> putErrors,
        IReadOnlyList<string> streamErrors, bool putsTimedOut, bool drained)
    {
        var s = new StringBuilder();
        s.AppendLine();
        s.AppendLine("Summary:");
        s.AppendLine(Inv, $"  Watchers:\t{a.Watchers} on prefix '{o.WatchPrefix}' over {Math.Min(o.Streams, o.Watchers)} streams (one connection each)");
        s.AppendLine(Inv, $"  Puts:\t{a.PutsOk} of {o.Total} ok in {a.PutSeconds:F4} secs, {a.PutsPerSecond:F1}/s, {putErrors.Sum(e => e.Count)} errors, {o.Clients} clients over {o.Conns} conns");
        s.AppendLine(Inv, $"  Put latency:\tp50 {a.PutLatencies.Percentile(50):F3} ms, p99 {a.PutLatencies.Percentile(99):F3} ms");
        s.AppendLine(Inv, $"  Events:\t{a.Delivered} of {a.Expected} expected in {a.DeliverySeconds:F4} secs (first put sent to last event read), {a.EventsPerSecond:F1}/s");
        if (putsTimedOut)
        {
            s.AppendLine(Inv, $"  Stopped by --max-seconds before all {o.Total} puts completed.");
        }
        if (!drained)
        {
            s.AppendLine(Inv, $"  Not every event arrived within --drain-timeout {o.DrainSeconds} s after the last put (or --max-seconds).");
        }
        s.AppendLine();
        s.AppendLine("Delivery delay, from each put's send to a watcher reading the event (ms):");
        foreach (var p in new double[] { 50, 90, 99, 99.9, 100 })
        {
            s.AppendLine(Inv, $"  {(p == 100 ? "max" : p.ToString(Inv) + "%"),5} in {a.DelayFromSend.Percentile(p):F4} ms.");
        }
        s.AppendLine(Inv, $"From the put's answer instead (signed; {a.BeforeAckFraction * 100:F1}% of events were read before the writer read its answer):");
        s.AppendLine(Inv, $"  p50 {a.DelayFromAck.Percentile(50):F4} ms, p99 {a.DelayFromAck.Percentile(99):F4} ms, max {a.DelayFromAck.Percentile(100):F4} ms.");
        s.AppendLine();
        s.AppendLine(Inv, $"Exactly-once check: {(a.CheckErrors == 0 ? "every watcher saw every acknowledged put once, in revision order" : $"{a.WatchersWithProblems} watchers wrong")}");
        s.AppendLine(Inv, $"  missing {a.Missing}, duplicates {a.Duplicates}, out of order {a.OutOfOrder}, unexpected {a.Unexpected}");
        foreach (var p in a.Problems)
        {
            s.AppendLine(Inv, $"  {p}");
        }
        if (putErrors.Count > 0)
        {
            s.AppendLine();
            s.AppendLine(Inv, $"Put error distribution (first {Math.Min(MaxErrorsShown, putErrors.Count)} of {putErrors.Count} distinct):");
            foreach (var (msg, count) in putErrors.Take(MaxErrorsShown))
            {
                s.AppendLine(Inv, $"  [{count}]\t{msg}");
            }
        }
        if (streamErrors.Count > 0)
        {
            s.AppendLine();
            s.AppendLine(Inv, $"Watch stream errors ({streamErrors.Count}, first {Math.Min(MaxErrorsShown, streamErrors.Count)}):");
            foreach (var e in streamErrors.Take(MaxErrorsShown))
            {
                s.AppendLine(Inv, $"  {e}");
            }
        }
        s.AppendLine();
        s.Append(WatchResultLine(a, putErrors.Sum(e => e.Count), streamErrors.Count));
        return s.ToString();
    }

    /// <summary><c>error="..."</c> for a RESULT line, with the message's own double quotes made single so the field stays one token to parsers that split on them.</summary>
    public static string ErrorField(string message) => $"error=\"{message.Replace('"', '\'')}\"";

    /// <summary>
    /// One machine-readable line. ops_per_sec = acknowledged puts per second; events_per_sec = events read,
    /// summed over watchers, per second from the first put sent to the last event read; delay_* from each
    /// put's send; check_errors = missing + duplicates + out_of_order + unexpected.
    /// </summary>
    public static string WatchResultLine(WatchAnalysis a, long putErrors, int streamErrors)
    {
        var d = a.DelayFromSend;
        return string.Create(Inv,
            $"RESULT op=watch watchers={a.Watchers} total={a.PutsOk + putErrors} errors={putErrors} seconds={a.PutSeconds:F3} " +
            $"ops_per_sec={a.PutsPerSecond:F1} events={a.Delivered} expected_events={a.Expected} events_per_sec={a.EventsPerSecond:F1} " +
            $"delay_p50_ms={Ms(d.Percentile(50))} delay_p90_ms={Ms(d.Percentile(90))} delay_p99_ms={Ms(d.Percentile(99))} " +
            $"delay_max_ms={Ms(d.Percentile(100))} ack_delay_p99_ms={Ms(a.DelayFromAck.Percentile(99))} " +
            $"check_errors={a.CheckErrors} missing={a.Missing} duplicates={a.Duplicates} out_of_order={a.OutOfOrder} " +
            $"unexpected={a.Unexpected} stream_errors={streamErrors}");
    }
}
