using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// A proposal RaftActor holds. <see cref="Origin"/> 0 means this member's own (the waiter is in this
/// member's WaitRegistry); otherwise it is the member a forwarded proposal came from, which holds the waiter
/// and is told (ProposalsRefused) when the proposal cannot be taken. <see cref="SinceTick"/> bounds how long it
/// may wait for a leader; <see cref="Hops"/> how often it was passed on after leader changes.
/// </summary>
internal sealed record PendingProposal(ulong Id, ByteString Data, ulong Origin, long SinceTick, int Hops);
