using Etcd.Actors.Configuration;
using Etcd.Actors.Errors;
using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Corruption.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Actors.Server;

namespace Etcd.Actors.Corruption;

/// <summary>
/// --experimental-initial-corrupt-check (etcd's CheckInitialHashKV): before this member starts Raft or serves
/// anyone, compute its HashKV from its backend, ask every peer in its member table for theirs at the same
/// revision, and refuse to start with etcd's "&lt;id&gt; found data inconsistency with peers" when one differs at
/// the same compacted revision. Runs before the actor tree exists, on the backend file opened and closed
/// here, so a member that fails it never votes, replicates or applies anything. A member with nothing applied
/// yet is new and skips the check (etcd checks only a member whose data existed at start).
/// </summary>
public static class InitialCorruptCheck
{
    /// <summary>Throws <see cref="CorruptionDetectedException"/> on a mismatch; returns when the check passed or does not apply.</summary>
    public static async Task RunAsync(ActorSystem system, EtcdServerSettings settings, ulong self, ulong clusterId, CancellationToken ct)
    {
        if (!settings.InitialCorruptCheck) return;
        var log = Logging.GetLogger(system.EventStream, "/user/etcd/corruption");

        HashKvSample local;
        List<(ulong, IReadOnlyList<string>)> members;
        using (var backend = SqliteBackend.Open(settings.BackendPath))
        {
            if (backend.ConsistentIndex == 0) return;
            var result = new KvStore(backend).HashKv(0);
            if (!result.IsOk) throw new CorruptionDetectedException($"{self:x} failed to fetch hash ({result.Error!.Message})");
            var h = result.Value!;
            local = new HashKvSample(h.Hash, h.CurrentRevision, h.CompactRevision);
            members = backend.Members.Members.Select(m => (m.Id, m.PeerUrls)).ToList();
        }

        var timeout = AskTimeout(settings);
        log.Info("{0:x} starting initial corruption check with timeout {1}...", self, GoDurations.Format(timeout));
        var peers = await PeerHashKvClient.AskAsync(system, self, clusterId, members, local.Revision, timeout, ct).ConfigureAwait(false);
        foreach (var p in peers.Where(p => p.Sample is null && p.Error is not null))
            log.Warning("{0:x} hash-kv error \"{1}\" on peer \"{2}\" with revision {3}", self, p.Error, p.PeerUrls[0], local.Revision);
        var (warnings, failure) = CorruptionVerdict.Initial(self, local, peers);
        foreach (var w in warnings) log.Warning(w);
        if (failure is not null) throw new CorruptionDetectedException(failure);
        log.Info("{0:x} succeeded on initial corruption checking: no corruption", self);
    }

    /// <summary>
    /// etcd waits its request timeout (5 s + 2 election timeouts) for each peer; so do we, for all of them at
    /// once. A peer that is down costs that long, as in etcd (whose peer listener accepts before it serves).
    /// </summary>
    internal static TimeSpan AskTimeout(EtcdServerSettings settings) => settings.RequestTimeout;
}
