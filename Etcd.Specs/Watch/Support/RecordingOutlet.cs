using Etcd.Actors.Watch.Core;
using Etcd.Api.Mvccpb;

namespace Etcd.Specs.Watch;

/// <summary>A stream's way out that records what it was sent, and can be made full (its sends of events and progress refused).</summary>
internal sealed class RecordingOutlet : WatchOutlet
{
    public sealed record Sent(Watcher? Watcher, string Kind, Event[] Events, long Revision, long CompactRevision);

    public bool Full { get; set; }

    public List<Sent> Log { get; } = new();

    public override bool HasRoom => !Full;

    public override bool TrySendEvents(Watcher w, List<Event> events, long revision)
    {
        if (Full) return false;
        Log.Add(new Sent(w, "events", events.ToArray(), revision, 0));
        return true;
    }

    public override bool TrySendCompacted(Watcher w, long compactRevision, long revision)
    {
        Log.Add(new Sent(w, "compacted", [], revision, compactRevision));
        return true;
    }

    public override bool TrySendProgress(Watcher? w, long revision)
    {
        if (w is not null && Full) return false;
        Log.Add(new Sent(w, "progress", [], revision, 0));
        return true;
    }

    public IEnumerable<Sent> For(Watcher w) => Log.Where(s => ReferenceEquals(s.Watcher, w));
}
