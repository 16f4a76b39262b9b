using System.Net;

namespace Etcd.Actors.Peer;

// The background loop: one round resolves every host name of the table, each apart; rounds follow a publish at once,
// else every refresh interval, or sooner (retry, doubling up to the refresh interval) while some name fails.
public sealed partial class PeerMemberAddresses
{
    private async Task LoopAsync()
    {
        var token = _stopping.Token;
        var failedRounds = 0;
        try
        {
            // The first round runs at once: Publish started the loop and released the wake.
            while (!token.IsCancellationRequested)
            {
                var wait = failedRounds == 0 ? _refresh
                    : TimeSpan.FromTicks(Math.Min(_refresh.Ticks, _retry.Ticks << Math.Min(failedRounds - 1, 20)));
                await _wake.WaitAsync(wait, token).ConfigureAwait(false);
                failedRounds = await RoundAsync(token).ConfigureAwait(false) ? 0 : failedRounds + 1;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            // A bug of ours: said, since nobody observes this task; the addresses then stay as they are.
            Say($"peer member addresses: the lookup loop failed, host names are no longer resolved again: {e}");
        }
        finally
        {
            lock (_gate) _nextRound.TrySetResult();
        }
    }

    /// <summary>Resolves every name once; true when none failed.</summary>
    private async Task<bool> RoundAsync(CancellationToken token)
    {
        TaskCompletionSource done;
        List<string> names;
        lock (_gate)
        {
            // A publish from now on waits for the next round (this one may have taken its names before it).
            done = _nextRound;
            _nextRound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            names = [.. _names.Keys];
        }
        try
        {
            var found = await Task.WhenAll(names.Select(n => LookupAsync(n, token))).ConfigureAwait(false);
            var warnings = new List<string>();
            var failed = false;
            lock (_gate)
            {
                foreach (var (name, addresses, error, gone) in found)
                {
                    // Published away meanwhile: nothing to keep.
                    if (!_names.TryGetValue(name, out var state)) continue;
                    if (error is null)
                    {
                        state.Addresses = addresses;
                        state.Failing = false;
                        continue;
                    }
                    failed = true;
                    // The name does not exist (NXDOMAIN) or has no address: what it had may be another host's by now
                    // (a rescheduled pod's old IP), so it loses the exemption. A timeout or a transient error keeps it.
                    if (gone) state.Addresses = [];
                    if (!state.Failing)
                        warnings.Add($"peer member addresses: cannot resolve {name} of the member peer URL {state.Url} ({error}); " +
                            (state.Addresses.Length > 0 ? "its earlier addresses stay" : "connections from it count as a stranger's") +
                            " until it resolves (tried again shortly)");
                    state.Failing = true;
                }
                Apply();
            }
            foreach (var w in warnings) Say(w);
            return !failed;
        }
        finally
        {
            done.TrySetResult();
        }
    }

    // A throwing logger must not end the loop (nobody observes its task).
    private void Say(string text)
    {
        try { _warn(text); }
        catch (Exception) { }
    }

    private async Task<(string Name, IPAddress[] Addresses, string? Error, bool Gone)> LookupAsync(string name, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(LookupTimeout);
        try
        {
            var addresses = await _resolve(name, timeout.Token).ConfigureAwait(false);
            return addresses.Length > 0 ? (name, addresses, null, false) : (name, addresses, "no addresses", true);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return (name, [], $"no answer within {LookupTimeout.TotalSeconds:0} s", false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Any failure, not only SocketException: an invalid name throws ArgumentException (over 255 characters:
            // ArgumentOutOfRangeException), and it must not spoil the other names' lookups.
            var gone = e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData };
            return (name, [], $"{e.GetType().Name}: {e.Message}", gone);
        }
    }
}
