using Etcd.Actors.Errors;

namespace Etcd.Actors.Corruption.Core;

/// <summary>
/// The decisions of etcd 3.4's corruption checks (etcdserver/corrupt.go, release-3.4), with its capnslog
/// lines: <see cref="Initial"/> is CheckInitialHashKV (a member about to start against its peers),
/// <see cref="Periodic"/> is checkHashKV (the leader against every member). Pure: the callers gather the hashes.
/// Member ids print as etcd's types.ID (hex, no padding).
/// </summary>
public static class CorruptionVerdict
{
    /// <summary>
    /// Only a peer whose hash differs at the same compacted revision is a mismatch; a different compacted
    /// revision, a peer behind (future revision) or ahead past our compaction (compacted) is only a warning, and
    /// an unreachable peer is skipped. Any mismatch fails the start with etcd's message.
    /// </summary>
    public static (IReadOnlyList<string> Warnings, string? Failure) Initial(ulong self, HashKvSample local, IReadOnlyList<PeerHashKv> peers)
    {
        var warnings = new List<string>();
        var mismatch = 0;
        foreach (var p in peers)
        {
            if (p.Sample is { } s)
            {
                if (s.Hash == local.Hash) continue;
                if (s.CompactRevision == local.CompactRevision)
                {
                    warnings.Add($"{self:x}'s hash {local.Hash} != {p.MemberId:x}'s hash {s.Hash} (revision {local.Revision}, peer revision {s.Revision}, compact revision {local.CompactRevision})");
                    mismatch++;
                }
                else
                {
                    warnings.Add($"{self:x} cannot check hash of peer({p.MemberId:x}): peer has a different compact revision {s.CompactRevision} (revision:{local.Revision})");
                }
                continue;
            }
            if (p.Error == EtcdErrors.FutureRev.Message)
                warnings.Add($"{self:x} cannot check the hash of peer({GoQuote(p.PeerUrls)}) at revision {local.Revision}: peer is lagging behind(\"{p.Error}\")");
            else if (p.Error == EtcdErrors.Compacted.Message)
                warnings.Add($"{self:x} cannot check the hash of peer({GoQuote(p.PeerUrls)}) at revision {local.Revision}: local node is lagging behind(\"{p.Error}\")");
        }
        return (warnings, mismatch > 0 ? $"{self:x} found data inconsistency with peers" : null);
    }

    /// <summary>
    /// The leader's check: <paramref name="before"/> is its hash when it asked the peers, <paramref name="after"/>
    /// its hash again once a linearizable read has made sure it applied everything they could have. Raise
    /// CORRUPT when its own hash changed at the same revision, or a peer is ahead of it (revision or
    /// compaction), or a peer at the old compacted revision hashes differently.
    /// </summary>
    public static (IReadOnlyList<string> Warnings, bool Corrupt, int Checked) Periodic(HashKvSample before, HashKvSample after,
        IReadOnlyList<PeerHashKv> peers)
    {
        var warnings = new List<string>();
        var corrupt = false;
        if (after.Hash != before.Hash && after.Revision == before.Revision && after.CompactRevision == before.CompactRevision)
        {
            warnings.Add($"mismatched hashes {before.Hash} and {after.Hash} for revision {before.Revision}");
            corrupt = true;
        }
        var checkedCount = 0;
        foreach (var p in peers)
        {
            if (p.Sample is not { } s) continue;
            checkedCount++;
            if (s.Revision > after.Revision)
            {
                warnings.Add($"revision {s.Revision} from member {p.MemberId:x}, expected at most {after.Revision}");
                corrupt = true;
            }
            if (s.CompactRevision > after.CompactRevision)
            {
                warnings.Add($"compact revision {s.CompactRevision} from member {p.MemberId:x}, expected at most {after.CompactRevision}");
                corrupt = true;
            }
            if (s.CompactRevision == before.CompactRevision && s.Hash != before.Hash)
            {
                warnings.Add($"hash {s.Hash} at revision {before.Revision} from member {p.MemberId:x}, expected hash {before.Hash}");
                corrupt = true;
            }
        }
        return (warnings, corrupt, checkedCount);
    }

    // Go's %q of a []string: ["a" "b"].
    private static string GoQuote(IReadOnlyList<string> urls) => "[" + string.Join(' ', urls.Select(u => $"\"{u}\"")) + "]";
}
