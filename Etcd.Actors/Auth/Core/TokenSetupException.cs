namespace Etcd.Actors.Auth.Core;

/// <summary>
/// <c>--auth-token</c> cannot be served: the member does not start. <see cref="Exception.Message"/> is the error etcd 3.4's
/// NewTokenProvider returns (what it prints as <c>C | etcdmain: …</c>); <see cref="Detail"/> the line auth logs first at
/// error level where etcd logs one (<c>E | auth: …</c>), e.g. the file that could not be read behind "invalid auth options".
/// </summary>
public sealed class TokenSetupException(string message, string? detail = null) : Exception(message)
{
    /// <summary>etcd's ErrInvalidAuthOpts, the answer to every malformed option string and unreadable option.</summary>
    public const string InvalidAuthOptions = "auth: invalid auth options";

    public string? Detail { get; } = detail;
}
