using System.Collections.Concurrent;
using Akka;
using Akka.Actor;
using Akka.Event;

namespace Etcd.Specs.Cluster;

/// <summary>The warnings one member's ActorSystem logs from now on (its EventStream), for specs that count them.</summary>
internal sealed class WarningLog
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly IActorRef _collector;

    public WarningLog(ActorSystem system)
    {
        _collector = system.ActorOf(Props.Create(() => new Collector(_lines)));
        system.EventStream.Subscribe(_collector, typeof(Warning));
    }

    /// <summary>
    /// The warnings published so far: the marker sent here queues behind every warning already published
    /// (the EventStream enqueues synchronously), so when it is answered they have all been collected.
    /// </summary>
    public async Task<string[]> SnapshotAsync()
    {
        await _collector.Ask<Done>(Done.Instance, TimeSpan.FromSeconds(10));
        return _lines.ToArray();
    }

    public int Count(string fragment) => _lines.Count(l => l.Contains(fragment, StringComparison.Ordinal));

    private sealed class Collector : ReceiveActor
    {
        public Collector(ConcurrentQueue<string> lines)
        {
            Receive<Warning>(w => lines.Enqueue(w.Message?.ToString() ?? ""));
            Receive<Done>(_ => Sender.Tell(Done.Instance));
        }
    }
}
