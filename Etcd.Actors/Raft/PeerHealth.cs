namespace Etcd.Actors.Raft;

/// <summary>
/// What RaftActor knows of its peers' liveness, kept apart from the actor (no Akka, no clock: the caller passes
/// its tick count as <c>now</c>).
/// <list type="bullet">
/// <item>When each peer was last heard from, and since when it has been heard continuously: a peer is active
/// since the first message after a silence of more than an election timeout. The strict reconfiguration check
/// (etcd's "connected for the last 5 s", <c>HealthInterval</c>) asks <see cref="ActiveFor"/>.</item>
/// <item>When to ping every peer: every half election timeout (see <see cref="PeerPing"/>), and whether some
/// ping of each peer within an election timeout said it hears this member (<see cref="HearsUs"/>, for the link watch).</item>
/// <item>The <see cref="PeerLinkWatch"/> (leaderless reports, one-way links), made on first use.</item>
/// </list>
/// </summary>
public sealed class PeerHealth
{
    private readonly int _electionTick;
    private readonly Dictionary<ulong, long> _lastHeard = new();
    private readonly Dictionary<ulong, long> _activeSince = new();
    // When each peer last said, in a ping, that it hears this member.
    private readonly Dictionary<ulong, long> _hearsUsAt = new();
    private PeerLinkWatch? _linkWatch;

    public PeerHealth(int electionTick) => _electionTick = electionTick;

    /// <summary>Made on first use, so a bad election tick fails where the watch is first needed, as before.</summary>
    public PeerLinkWatch LinkWatch => _linkWatch ??= new PeerLinkWatch(_electionTick);

    /// <summary>A message of <paramref name="peer"/> arrived at tick <paramref name="now"/>.</summary>
    public void Heard(ulong peer, long now)
    {
        if (!_lastHeard.TryGetValue(peer, out var last) || now - last > _electionTick) _activeSince[peer] = now;
        _lastHeard[peer] = now;
    }

    /// <summary>
    /// A ping of <paramref name="peer"/> arrived at tick <paramref name="now"/>, saying whether it heard this member
    /// within an election timeout (<see cref="PeerPing.HearsYou"/>).
    /// </summary>
    public void HeardPing(ulong peer, long now, bool hearsUs)
    {
        Heard(peer, now);
        // A ping saying "not heard" erases nothing: anyone who knows the cluster and member ids can send one (without
        // peer TLS), and letting it override the real peer's "heard" would let a stranger make us reset a working
        // link (and with it forget our leader). The real peer's "heard" then ages out within an election timeout.
        if (hearsUs) _hearsUsAt[peer] = now;
    }

    /// <summary>Some ping of <paramref name="peer"/> within an election timeout said it hears this member.</summary>
    public bool HearsUs(ulong peer, long now) => _hearsUsAt.TryGetValue(peer, out var at) && now - at <= _electionTick;

    /// <summary>Some message of <paramref name="peer"/> arrived within an election timeout.</summary>
    public bool HeardRecently(ulong peer, long now) => _lastHeard.TryGetValue(peer, out var last) && now - last <= _electionTick;

    /// <summary>
    /// <paramref name="self"/> and every peer heard from continuously for at least <paramref name="ticks"/>
    /// (and within an election timeout).
    /// </summary>
    public HashSet<ulong> ActiveFor(long ticks, long now, ulong self)
    {
        var active = new HashSet<ulong> { self };
        foreach (var (peer, last) in _lastHeard)
            if (now - last <= _electionTick && _activeSince.TryGetValue(peer, out var since) && now - since >= ticks)
                active.Add(peer);
        return active;
    }

    /// <summary>
    /// <paramref name="peer"/> was removed from the cluster: its ids are never reused, so nothing of it is needed
    /// again. Keeps these tables to the members there are.
    /// </summary>
    public void Forget(ulong peer)
    {
        _lastHeard.Remove(peer);
        _activeSince.Remove(peer);
        _hearsUsAt.Remove(peer);
        _linkWatch?.Forget(peer);
    }

    /// <summary>Every half election timeout (every tick when that is under one tick).</summary>
    public bool PingDue(long now) => now % Math.Max(1, _electionTick / 2) == 0;

    /// <summary>For the debug line: each peer and how many ticks ago it was last heard, "id@ago" comma-separated.</summary>
    public string Describe(long now) => string.Join(',', _lastHeard.Select(kv => $"{kv.Key:x}@{now - kv.Value}"));
}
