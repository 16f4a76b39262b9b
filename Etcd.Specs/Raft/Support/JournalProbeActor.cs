using Akka.Actor;
using Akka.Persistence;

namespace Etcd.Specs.Raft;

/// <summary>
/// Reads (and, for setup, writes) the journal of another persistence id: on start it replays every
/// event and sends them to <c>replyTo</c> as <see cref="Replayed"/>; a <see cref="Write"/> persists
/// events in one atomic batch and answers <see cref="Written"/>.
/// </summary>
internal sealed class JournalProbeActor(string persistenceId, IActorRef replyTo) : UntypedPersistentActor
{
    private readonly List<object> _events = [];

    public sealed record Replayed(IReadOnlyList<object> Events);
    public sealed record Write(IReadOnlyList<object> Events);
    public sealed record Written;

    public override string PersistenceId { get; } = persistenceId;

    public static Props Props(string persistenceId, IActorRef replyTo) =>
        Akka.Actor.Props.Create(() => new JournalProbeActor(persistenceId, replyTo));

    protected override void OnRecover(object message)
    {
        if (message is RecoveryCompleted) replyTo.Tell(new Replayed(_events.ToList()));
        else _events.Add(message);
    }

    protected override void OnCommand(object message)
    {
        if (message is not Write w) return;
        var sender = Sender;
        var last = w.Events[^1];
        PersistAll(w.Events, e =>
        {
            if (ReferenceEquals(e, last)) sender.Tell(new Written());
        });
    }
}
