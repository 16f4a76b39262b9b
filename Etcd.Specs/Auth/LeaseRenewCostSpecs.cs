using System.Diagnostics;
using Etcd.Actors.Lease.Core;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Auth;

/// <summary>
/// What one keep-alive of a lease with 20,000 keys costs for a user other than root (etcd's checkLeaseRenew), measured
/// in one process on the parts themselves: before, every renewal had the store actor copy and sort the lease's keys
/// (<see cref="LeaseTable.Keys"/>) and then checked each; now an unchanged lease's renewal is one lookup of the kept
/// answer, and a changed one an unsorted copy (<see cref="LeaseTable.KeySet"/>) checked once, each key looked up without
/// making its one-key interval (<see cref="Etcd.Actors.Auth.Core.MergedIntervals.CoversKey"/>). Allocation is asserted
/// (it does not depend on the machine's load); the times are printed with the load average.
/// </summary>
public sealed class LeaseRenewCostSpecs(ITestOutputHelper output)
{
    private const long Lease = 7;
    private const int Keys = 20_000;

    [Fact]
    public void An_unchanged_renewal_allocates_nothing_where_the_old_check_copied_and_sorted_every_key()
    {
        var table = new LeaseTable(1, []);
        Assert.Null(table.Grant(Lease, 600, out _));
        for (var i = 0; i < Keys; i++) table.Attach(Lease, ByteString.CopyFromUtf8($"k/{i:D6}"));
        var gate = AuthGateLockSpecs.Gate("k/", "k0");
        var revision = gate.Revision;
        const long version = 1;

        // Before: per renewal, the sorted copy the store made, then every key checked.
        Assert.Null(gate.IsEachKeyPermitted("u", revision, table.Keys(Lease), write: true)); // warm-up
        var (oldUs, oldBytes) = Measure(20, () => Assert.Null(gate.IsEachKeyPermitted("u", revision, table.Keys(Lease), write: true)));
        // Now, after a change: an unsorted copy, checked once and kept.
        var (missUs, missBytes) = Measure(20, () => Assert.Null(gate.CheckRenew(Lease, "u", revision, version, table.KeySet(Lease))));
        // Now, unchanged: the kept answer.
        var (hitUs, hitBytes) = Measure(100_000, () =>
        {
            if (!gate.TryRenewVerdict(Lease, "u", revision, version, out var refusal) || refusal is not null) throw new InvalidOperationException("no kept answer");
        });

        output.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}; lease with {Keys} keys, user with a READWRITE prefix");
        output.WriteLine($"as before, the store's sorted copy per renewal, then the check: {oldUs:F1} µs, {oldBytes:N0} B per renewal");
        output.WriteLine($"now, keys or auth changed (unsorted copy + check, kept): {missUs:F1} µs, {missBytes:N0} B");
        output.WriteLine($"now, unchanged (kept answer): {hitUs:F3} µs, {hitBytes:N1} B per renewal");
        Assert.True(oldBytes >= Keys * 8, $"the old check copied {Keys} key references ({oldBytes} B)");
        Assert.True(hitBytes < 1, $"an unchanged renewal allocated {hitBytes} B");
        // The walk itself allocates nothing per key (no successor key per point check): the copy's array is what is left.
        Assert.True(missBytes <= Keys * 8 * 2, $"a changed renewal allocated {missBytes} B for {Keys} keys");
    }

    private static (double Us, double Bytes) Measure(int n, Action op)
    {
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) op();
        sw.Stop();
        return (sw.Elapsed.TotalMicroseconds / n, (GC.GetAllocatedBytesForCurrentThread() - bytes) / (double)n);
    }
}
