using Akka.Actor;
using Akka.Persistence;
using Etcd.Api.Raftpb;

namespace Etcd.JournalBench;

/// <summary>
/// Persists each <see cref="EntriesAppended"/> it is sent as one journal write and answers its sender with the
/// sequence number once the journal has it, i.e. once the row is committed.
/// </summary>
internal sealed class JournalWriterActor : ReceivePersistentActor
{
    public override string PersistenceId => JournalRow.PersistenceId;

    public JournalWriterActor()
    {
        // A fresh database: nothing to recover, but a persistent actor must say what it would do.
        Recover<EntriesAppended>(_ => { });
        // Persist keeps the sender for its handler, which runs after the write is durable.
        Command<EntriesAppended>(e => Persist(e, _ => Sender.Tell(LastSequenceNr)));
    }
}
