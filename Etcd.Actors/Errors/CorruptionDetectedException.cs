namespace Etcd.Actors.Errors;

/// <summary>The initial corruption check found this member's data differs from a peer's: the member must not start (etcd exits with the message).</summary>
public sealed class CorruptionDetectedException(string message) : Exception(message);
