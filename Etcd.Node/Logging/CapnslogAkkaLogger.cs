using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Etcd.Node.Logging;

/// <summary>
/// Akka.NET's log events in the same capnslog stream as everything else, so stderr has one format
/// (Akka's default logger would write its own format to stdout). Akka creates loggers by type name from
/// HOCON, with no constructor arguments, hence the static <see cref="Target"/> set once before the
/// ActorSystem starts.
/// </summary>
public sealed class CapnslogAkkaLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>HOCON that installs this logger; appended to the library's configuration by the runner.</summary>
    public const string Hocon = "akka.loggers = [\"Etcd.Node.Logging.CapnslogAkkaLogger, Etcd.Node\"]";

    public static Capnslog? Target { get; set; }

    /// <summary>The same transport complaint (a peer that is down) is written at most this often.</summary>
    private static readonly TimeSpan RepeatInterval = TimeSpan.FromSeconds(30);

    /// <summary>Bounded: the oldest complaints are forgotten first.</summary>
    private const int MaxRemembered = 256;

    private readonly Dictionary<string, DateTime> _lastWritten = new(StringComparer.Ordinal);

    public CapnslogAkkaLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            var package = Package(e.LogSource);
            var text = Message(e);
            if (package == "rafthttp" && Repeated(text)) return;
            Target?.Write(Severity(e.LogLevel()), package, text);
        });
    }

    /// <summary>
    /// Akka.Remote reports an unreachable peer on every retry (each second); etcd's rafthttp is as noisy, but
    /// one line per peer and half minute says the same. Keyed by the text up to the first bracketed detail.
    /// </summary>
    private bool Repeated(string text)
    {
        var cut = text.IndexOf("Reason:", StringComparison.Ordinal);
        var key = cut > 0 ? text[..cut] : text;
        var now = DateTime.UtcNow;
        if (_lastWritten.TryGetValue(key, out var last) && now - last < RepeatInterval) return true;
        if (_lastWritten.Count >= MaxRemembered) _lastWritten.Remove(_lastWritten.MinBy(kv => kv.Value).Key);
        _lastWritten[key] = now;
        return false;
    }

    private static char Severity(Akka.Event.LogLevel level) => level switch
    {
        Akka.Event.LogLevel.DebugLevel => 'D',
        Akka.Event.LogLevel.InfoLevel => 'I',
        Akka.Event.LogLevel.WarningLevel => 'W',
        _ => 'E',
    };

    /// <summary>
    /// The actor that logged → etcd's package names: the Raft actor and its children are "raft" (snapshot
    /// transfers "rafthttp", as etcd's peer transport), the store "mvcc", the auto compactor "compactor", Akka.Remote's
    /// own actors "rafthttp";
    /// anything else (CoordinatedShutdown, ...) "akka".
    /// </summary>
    private static string Package(string source)
    {
        if (source.StartsWith("remoting", StringComparison.Ordinal) || source.Contains("/system/transports", StringComparison.Ordinal) ||
            source.Contains("/system/endpointManager", StringComparison.Ordinal) || source.Contains("/system/remote", StringComparison.Ordinal))
            return "rafthttp";
        // etcd's v3compactor logs as package "compactor".
        if (source.Contains("/user/compactor", StringComparison.Ordinal)) return "compactor";
        var user = source.IndexOf("/user/etcd/", StringComparison.Ordinal);
        if (user < 0) return "akka";
        var path = source[(user + "/user/etcd/".Length)..];
        var hash = path.IndexOf('#');
        if (hash >= 0) path = path[..hash];
        if (path.Contains("snapshot-", StringComparison.Ordinal)) return "rafthttp";
        if (path.StartsWith("raft", StringComparison.Ordinal)) return "raft";
        if (path.StartsWith("mvcc", StringComparison.Ordinal)) return "mvcc";
        return "etcdserver";
    }

    private static string Message(LogEvent e)
    {
        var text = e.Message?.ToString() ?? "";
        if (e is Error { Cause: { } cause }) text += ": " + cause.Message;
        return text.ReplaceLineEndings(" ");
    }
}
