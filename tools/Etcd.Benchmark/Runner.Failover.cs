using System.Diagnostics;
using System.Net.Http;
using Grpc.Core;

namespace Etcd.Benchmark;

/// <summary>Raw outcome of a failover run, for <see cref="FailoverAnalysis"/> and the report.</summary>
public sealed record FailoverRun(
    IReadOnlyList<RequestSample> Samples,
    double RunMs,
    double? KillMs,
    string? KillError,
    IReadOnlyList<(string Message, long Count)> DistinctErrors,
    bool TimedOut);

/// <summary>
/// The failover command: an open loop. Put i is due at i / --rate seconds whatever happened to the
/// earlier ones, so a stalled cluster cannot slow the probe down and hide how long it stalled (a closed
/// loop of N workers would see a new request only when an old one gave up). At most --clients puts are
/// in flight; a slot that comes while that many are still waiting is skipped and counted. Every put has
/// a gRPC deadline of --request-timeout.
/// </summary>
public sealed partial class Runner
{
    private int _inFlight;

    /// <param name="kill">Called once, --kill-after seconds into the run; returns an error message or null.</param>
    public async Task<FailoverRun> RunFailoverAsync(PutWorkload workload, Func<string?>? kill)
    {
        int n = _o.Total;
        var starts = new long[n];
        var ends = new long[n];
        var outcomes = new SampleOutcome[n]; // NotSent until a slot is decided
        var sends = new List<Task>(n);
        var timeout = TimeSpan.FromSeconds(_o.RequestTimeoutSeconds);
        double ticksPerSlot = Stopwatch.Frequency / _o.Rate;
        long killDue = kill is null ? long.MaxValue : (long)(_o.KillAfterSeconds * Stopwatch.Frequency);
        long killAt = -1;
        string? killError = null;

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(_o.MaxSeconds));
        var ct = stop.Token;
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < n && !ct.IsCancellationRequested; i++)
        {
            long due = (long)(i * ticksPerSlot);
            if (killAt < 0 && due >= killDue)
            {
                await WaitUntilAsync(t0, killDue, ct).ConfigureAwait(false);
                if (ct.IsCancellationRequested) break;
                killAt = Stopwatch.GetTimestamp() - t0;
                killError = kill!();
            }
            await WaitUntilAsync(t0, due, ct).ConfigureAwait(false);
            if (ct.IsCancellationRequested) break;
            if (Volatile.Read(ref _inFlight) >= _o.Clients)
            {
                outcomes[i] = SampleOutcome.Skipped;
                continue;
            }
            Interlocked.Increment(ref _inFlight);
            int slot = i;
            // Off the scheduler's thread: starting a gRPC call does real work before its first await.
            sends.Add(Task.Run(() => SendAsync(workload, slot, t0, starts, ends, outcomes, timeout, ct)));
        }
        long runTicks = Stopwatch.GetTimestamp() - t0;
        // Bounded: every put has a deadline, and --max-seconds cancels what is left.
        await Task.WhenAll(sends).ConfigureAwait(false);

        double msPerTick = 1000.0 / Stopwatch.Frequency;
        var samples = new RequestSample[n];
        bool timedOut = false;
        for (int i = 0; i < n; i++)
        {
            samples[i] = new RequestSample(starts[i] * msPerTick, ends[i] * msPerTick, outcomes[i]);
            timedOut |= outcomes[i] is SampleOutcome.NotSent or SampleOutcome.Cancelled;
        }
        double? killMs = killAt >= 0 ? killAt * msPerTick : null;
        if (kill is not null && killAt < 0)
        {
            killError ??= "the run ended before --kill-after";
        }
        return new FailoverRun(samples, runTicks * msPerTick, killMs, killError, DistinctErrors(), timedOut);
    }

    private async Task SendAsync(PutWorkload workload, int i, long t0, long[] starts, long[] ends,
        SampleOutcome[] outcomes, TimeSpan timeout, CancellationToken ct)
    {
        var client = _clients[i % _clients.Length];
        try
        {
            starts[i] = Stopwatch.GetTimestamp() - t0;
            using var call = client.PutAsync(workload.Request(i), deadline: DateTime.UtcNow + timeout, cancellationToken: ct);
            await call.ResponseAsync.ConfigureAwait(false);
            ends[i] = Stopwatch.GetTimestamp() - t0;
            outcomes[i] = SampleOutcome.Ok;
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            outcomes[i] = SampleOutcome.Cancelled;
        }
        catch (RpcException e)
        {
            ends[i] = Stopwatch.GetTimestamp() - t0;
            outcomes[i] = SampleOutcome.Error;
            RecordError($"{e.StatusCode}: {e.Status.Detail}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException)
        {
            ends[i] = Stopwatch.GetTimestamp() - t0;
            outcomes[i] = SampleOutcome.Error;
            RecordError($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Waits until <paramref name="dueTicks"/> after <paramref name="t0"/>; returns early on cancellation.</summary>
    private static async Task WaitUntilAsync(long t0, long dueTicks, CancellationToken ct)
    {
        long remaining = dueTicks - (Stopwatch.GetTimestamp() - t0);
        if (remaining <= 0) return;
        try
        {
            // Timers tick in whole milliseconds: a slot may go out up to ~1 ms late, never early by more.
            await Task.Delay(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency), ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // --max-seconds: the caller checks the token.
        }
    }
}
