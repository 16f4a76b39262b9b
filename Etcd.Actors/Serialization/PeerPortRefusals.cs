using Akka.Actor;
using Akka.Event;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Counts what the refusing serializers turned away and logs it: at most one warning per sender per 30 s, with
/// how many were dropped since the last one, in the bounded sender table of <see cref="PeerWarnings"/> (the peer
/// gateway's). Without the bound, anyone on the peer port could fill the log at network speed. One per
/// ActorSystem (an Akka extension); serializers call it from every association's reader thread, hence the lock.
/// </summary>
public sealed class PeerPortRefusals : IExtension
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private const int MaxWarnedSenders = 64;

    // Akka.Remote names the actor that reads one association "endpointReader-{url-encoded remote address}-{n}"
    // (Akka.Remote's Endpoint.cs) and deserializes on it: that is where the sender's address is known.
    private const string ReaderPrefix = "endpointReader-";

    private readonly ILoggingAdapter _log;
    private readonly PeerWarnings _warnings = new(Interval, MaxWarnedSenders, static () => TimeSpan.FromMilliseconds(Environment.TickCount64));
    private readonly Lock _lock = new();
    private long _refused;

    public PeerPortRefusals(ExtendedActorSystem system) => _log = Logging.GetLogger(system, "peer-port");

    public static PeerPortRefusals Get(ActorSystem system) => system.WithExtension<PeerPortRefusals, PeerPortRefusalsProvider>();

    /// <summary>How many messages were refused since the ActorSystem started.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Records a refusal of <paramref name="what"/> and returns the message that stands in for it.</summary>
    public RefusedPeerMessage Refuse(int serializerId, string manifest, string what)
    {
        Interlocked.Increment(ref _refused);
        var sender = CurrentSender();
        long suppressed;
        lock (_lock)
        {
            if (!_warnings.ShouldWarn(sender, out suppressed)) return new RefusedPeerMessage(serializerId, manifest);
        }
        _log.Warning("rafthttp: refused {0} (serializer {1}, manifest [{2}]) from remote-address={3}: members exchange only " +
                     "the peer protocol's protobuf messages; dropped, {4} more since the last warning",
            what, serializerId, Printable(manifest), sender, suppressed);
        return new RefusedPeerMessage(serializerId, manifest);
    }

    /// <summary>
    /// Whether this thread is deserializing what a peer connection received (rather than, e.g., the journal).
    /// Should Akka rename its reader actors, this turns false and a failure throws as before: loud, not lost.
    /// </summary>
    public static bool ReadingFromNetwork => CurrentSender() != Local;

    private const string Local = "(local)";

    /// <summary>The remote address of the association being read on this thread, or <see cref="Local"/> outside a reader.</summary>
    private static string CurrentSender()
    {
        var name = ActorCell.GetCurrentSelfOrNoSender()?.Path.Name ?? "";
        if (!name.StartsWith(ReaderPrefix, StringComparison.Ordinal)) return Local;
        var encoded = name[ReaderPrefix.Length..];
        var dash = encoded.LastIndexOf('-');
        if (dash > 0) encoded = encoded[..dash];
        return Uri.UnescapeDataString(encoded);
    }

    // The manifest is the sender's text: bounded and without line breaks before it goes in the log.
    private static string Printable(string manifest)
    {
        var m = manifest.Length > 120 ? manifest[..120] + "…" : manifest;
        return m.ReplaceLineEndings(" ");
    }
}
