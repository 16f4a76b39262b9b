namespace Etcd.Specs.Auth;

/// <summary>A wall clock the spec sets by hand (what a JWT's exp is checked against).</summary>
internal sealed class WallClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
