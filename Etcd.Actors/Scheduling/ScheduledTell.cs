using Akka.Actor;
using Akka.Dispatch;

namespace Etcd.Actors.Scheduling;

/// <summary>A scheduled message: tells <paramref name="receiver"/> when it runs (Akka's own ScheduledTell is internal).</summary>
internal sealed class ScheduledTell(ICanTell receiver, object message, IActorRef sender) : IRunnable
{
    public void Run() => receiver.Tell(message, sender);

    // IRunnable is an IThreadPoolWorkItem on .NET 6+.
    public void Execute() => Run();
}
