using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// A proposal RaftActor holds. <see cref="Origin"/> 0 means this member's own (the waiter is in this
/// member's WaitRegistry); otherwise it is the member a forwarded proposal came from, which holds the waiter
/// and is told (ProposalsRefused) when the proposal cannot be taken. <see cref="SinceTick"/> bounds how long it
/// may wait for a leader; <see cref="Hops"/> how often it was passed on after leader changes. <see cref="LeaderTerm"/>
/// (0: none) is <see cref="RaftProtocol.Propose.LeaderTerm"/>: such a proposal is appended only by this member as leader
/// of that term, and dropped instead of held or forwarded.
/// </summary>
internal sealed record PendingProposal(ulong Id, ByteString Data, ulong Origin, long SinceTick, int Hops, ulong LeaderTerm = 0);
