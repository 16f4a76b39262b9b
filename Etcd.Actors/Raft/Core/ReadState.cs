using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// Answer to a ReadIndex request: reads tagged with <see cref="Context"/> are linearizable once the
/// state machine has applied <see cref="Index"/>.
/// </summary>
public sealed record ReadState(ulong Index, ByteString Context);
