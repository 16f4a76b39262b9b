namespace Etcd.Actors.Raft;

/// <summary>See <see cref="TransportLoss.Judge"/>.</summary>
public enum TransportLossVerdict
{
    /// <summary>Not about our leader, or we do not follow one.</summary>
    Ignore,

    /// <summary>An inbound link claiming our leader's address went away: write to the leader to find out.</summary>
    ProbeLeader,

    /// <summary>Our own link to the leader closed or could not be opened: campaign soon.</summary>
    ForgetLeader,
}
