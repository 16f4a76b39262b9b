namespace Etcd.Actors.Server;

/// <summary>
/// Published on the event stream when a member cannot go on (its store exhausted its restarts). Serving on
/// would answer from a store that no longer applies anything, so the host stops the process with a failure
/// exit code and the operator, or the supervisor running it, starts it again to recover from disk.
/// </summary>
public sealed record NodeFailed(ulong MemberId, string Reason);
