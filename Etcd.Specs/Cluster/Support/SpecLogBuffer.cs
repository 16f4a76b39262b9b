using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Etcd.Specs.Cluster;

/// <summary>
/// An Akka logger for the in-process cluster specs: keeps the last lines each member logged (keyed by the
/// member's Akka.Remote port, which every log source carries) so a spec that times out can say what the
/// members were doing, without flooding the output of specs that pass. Bounded per member.
/// </summary>
public sealed class SpecLogBuffer : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public const string Hocon = "akka.loggers = [\"Etcd.Specs.Cluster.SpecLogBuffer, Etcd.Specs\"]";

    private const int MaxLinesPerMember = 400;

    private static readonly ConcurrentDictionary<int, ConcurrentQueue<string>> Lines = new();

    public SpecLogBuffer()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            var port = PortOf(e.LogSource);
            var q = Lines.GetOrAdd(port, _ => new ConcurrentQueue<string>());
            q.Enqueue($"{e.Timestamp:HH:mm:ss.fff} {e.LogLevel().ToString()[0]} {Short(e.LogSource)} {e.Message}");
            while (q.Count > MaxLinesPerMember) q.TryDequeue(out _);
        });
    }

    /// <summary>The last <paramref name="count"/> lines logged by the member listening on <paramref name="port"/>.</summary>
    public static IEnumerable<string> Tail(int port, int count) =>
        Lines.TryGetValue(port, out var q) ? q.ToArray().TakeLast(count) : [];

    private static int PortOf(string source)
    {
        var at = source.IndexOf('@');
        if (at < 0) return 0;
        var colon = source.IndexOf(':', at);
        if (colon < 0) return 0;
        var end = colon + 1;
        while (end < source.Length && char.IsAsciiDigit(source[end])) end++;
        return int.TryParse(source.AsSpan(colon + 1, end - colon - 1), out var p) ? p : 0;
    }

    private static string Short(string source)
    {
        var user = source.IndexOf("/user/", StringComparison.Ordinal);
        return user >= 0 ? source[user..] : source.Length > 40 ? source[..40] : source;
    }
}
