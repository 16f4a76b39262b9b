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

    public CapnslogAkkaLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Target?.Write(Severity(e.LogLevel()), Package(e.LogSource), Message(e)));
    }

    private static char Severity(Akka.Event.LogLevel level) => level switch
    {
        Akka.Event.LogLevel.DebugLevel => 'D',
        Akka.Event.LogLevel.InfoLevel => 'I',
        Akka.Event.LogLevel.WarningLevel => 'W',
        _ => 'E',
    };

    /// <summary>"akka://etcd/user/etcd/raft" → "actors/raft"; anything else (CoordinatedShutdown, ...) → "akka".</summary>
    private static string Package(string source)
    {
        if (!source.StartsWith("akka://", StringComparison.Ordinal)) return "akka";
        var slash = source.LastIndexOf('/');
        var name = source[(slash + 1)..];
        var hash = name.IndexOf('#');
        return "actors/" + (hash >= 0 ? name[..hash] : name);
    }

    private static string Message(LogEvent e)
    {
        var text = e.Message?.ToString() ?? "";
        if (e is Error { Cause: { } cause }) text += ": " + cause.Message;
        return text.ReplaceLineEndings(" ");
    }
}
