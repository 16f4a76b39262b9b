using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// Drops the MsgApps of one send that a later MsgApp of the same send makes redundant, so a put batch costs one
/// MsgApp per follower (and one MsgAppResp back) instead of two or three.
/// <para>
/// Why there are redundant ones: the leader's core broadcasts an empty MsgApp to every follower each time its
/// commit index moves (etcd-io/raft's <c>bcastAppend</c> after <c>maybeCommit</c>), and RaftActor collects the
/// core's messages while its journal write is in flight. When that write completes, the commit has usually moved
/// (the followers' acks, then the leader's own in Advance) and the next proposals are appended in the same Ready,
/// which sends each follower a MsgApp with the new entries and the same commit. Each empty MsgApp would cost a
/// remote send and the follower a MsgAppResp.
/// </para>
/// <para>
/// What may go: a MsgApp with no entries to peer P when a later MsgApp to P in the same list has the same term, a
/// commit index no lower and a previous index no lower. The follower learns everything the empty one said from the
/// later one: the commit (it commits min(commit, last new index), which the later one only raises) and the log
/// match at the later one's previous index. The leader loses nothing it counts: an empty MsgApp adds no inflight
/// (a probe's pause is set by the later MsgApp too), and the follower answers the later one. Nothing is reordered
/// or delayed, and nothing else is touched: heartbeats, MsgApps that carry entries, votes and answers all go.
/// </para>
/// </summary>
public static class OutboundAppends
{
    /// <summary>The messages to send, in their order, without the redundant empty MsgApps; the same list when none is.</summary>
    public static IReadOnlyList<Message> Coalesce(IReadOnlyList<Message> messages)
    {
        if (messages.Count < 2) return messages;
        List<Message>? kept = null;
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (IsRedundant(messages, i))
            {
                if (kept is null)
                {
                    kept = new List<Message>(messages.Count - 1);
                    for (var k = 0; k < i; k++) kept.Add(messages[k]);
                }
                continue;
            }
            kept?.Add(m);
        }
        return kept ?? messages;
    }

    private static bool IsRedundant(IReadOnlyList<Message> messages, int i)
    {
        var m = messages[i];
        if (m.Type != MessageType.MsgApp || m.Entries.Count != 0) return false;
        for (var j = i + 1; j < messages.Count; j++)
        {
            var later = messages[j];
            if (later.Type == MessageType.MsgApp && later.To == m.To && later.Term == m.Term &&
                later.Commit >= m.Commit && later.Index >= m.Index)
                return true;
        }
        return false;
    }
}
