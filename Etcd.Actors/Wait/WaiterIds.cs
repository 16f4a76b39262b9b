namespace Etcd.Actors.Wait;

/// <summary>
/// The layout of a waiter id (etcd's pkg/idutil): the top 16 bits are the low 16 bits of the member that
/// registered the waiter, then 40 bits of that incarnation's start time in milliseconds, then an 8-bit counter
/// that carries into the time bits. Every member's store completes waiters by the id inside an applied entry, so
/// an id names whose client gets the answer: a proposal forwarded by one member must carry an id of that member.
/// </summary>
public static class WaiterIds
{
    private const int MemberShift = 48;

    /// <summary>The prefix of the ids <paramref name="memberId"/> hands out in the incarnation started at <paramref name="startMs"/>.</summary>
    public static ulong Prefix(ulong memberId, long startMs) => ((memberId & 0xffff) << MemberShift) | (((ulong)startMs & 0xff_ffff_ffff) << 8);

    /// <summary>Whether <paramref name="waiterId"/> is one <paramref name="memberId"/> could have handed out (ids of members that share their low 16 bits look alike, as in etcd).</summary>
    public static bool BelongsTo(ulong waiterId, ulong memberId) => waiterId >> MemberShift == (memberId & 0xffff);
}
