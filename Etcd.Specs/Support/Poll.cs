namespace Etcd.Specs.Support;

/// <summary>
/// Waits for a condition that another thread makes true (a transport's counters, a background lookup), checking every
/// 10 ms, and fails the spec naming what it waited for when that does not come within the bound. For state that has no
/// event to await.
/// </summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        while (!condition())
        {
            try { await Task.Delay(10, cts.Token); }
            catch (OperationCanceledException) { Xunit.Assert.Fail($"not within {within}: {what}"); }
        }
    }
}
