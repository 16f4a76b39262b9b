namespace Etcd.Specs.Lease;

/// <summary>A clock the spec moves by hand (milliseconds); only timestamps, which is all the lease manager reads.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ms;

    public override long TimestampFrequency => 1000;

    public override long GetTimestamp() => Interlocked.Read(ref _ms);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ms, (long)by.TotalMilliseconds);
}
