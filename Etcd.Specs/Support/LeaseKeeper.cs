using Etcd.Api.Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace Etcd.Specs.Support;

/// <summary>
/// Keeps one lease alive over a LeaseKeepAlive stream as a client library does: one request every
/// <see cref="Interval"/>, and when an answer does not come within <see cref="AnswerTimeout"/> (the member is down,
/// frozen or cut off) or the stream breaks, it moves to the next member. An answer with TTL ≤ 0 means the lease is
/// gone: that is kept (<see cref="LostAt"/>) and the keeper stops, since a kept-alive lease must never expire.
/// </summary>
public sealed class LeaseKeeper : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyList<string> _endpoints;
    private readonly long _id;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _member;
    private long _lastRenewal;

    public LeaseKeeper(IReadOnlyList<string> endpoints, long id, int firstMember)
    {
        _endpoints = endpoints;
        _id = id;
        _member = firstMember;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Answers with a positive TTL.</summary>
    public int Renewals { get; private set; }

    /// <summary>The longest time between two renewals (a failover costs up to <see cref="AnswerTimeout"/> per member tried).</summary>
    public TimeSpan LongestGap { get; private set; }

    /// <summary>How long ago the last renewal was answered.</summary>
    public TimeSpan SinceLastRenewal => _lastRenewal == 0 ? TimeSpan.MaxValue : System.Diagnostics.Stopwatch.GetElapsedTime(_lastRenewal);

    /// <summary>Times the keeper gave up on a member and moved to the next.</summary>
    public int Failovers { get; private set; }

    /// <summary>Set when a member answered that the lease no longer exists (TTL ≤ 0): what it said.</summary>
    public string? LostAt { get; private set; }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested && LostAt is null)
        {
            try
            {
                using var channel = GrpcChannel.ForAddress(_endpoints[_member]);
                using var call = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(channel).LeaseKeepAlive(cancellationToken: token);
                while (!token.IsCancellationRequested)
                {
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = _id }, token);
                    using var answer = CancellationTokenSource.CreateLinkedTokenSource(token);
                    answer.CancelAfter(AnswerTimeout);
                    if (!await call.ResponseStream.MoveNext(answer.Token)) break;
                    var r = call.ResponseStream.Current;
                    if (r.TTL <= 0)
                    {
                        LostAt = $"member {_member} ({_endpoints[_member]}) answered TTL {r.TTL} at revision {r.Header.Revision} after {Renewals} renewals";
                        return;
                    }
                    var now = System.Diagnostics.Stopwatch.GetTimestamp();
                    if (_lastRenewal != 0) LongestGap = TimeSpan.FromTicks(Math.Max(LongestGap.Ticks, System.Diagnostics.Stopwatch.GetElapsedTime(_lastRenewal, now).Ticks));
                    _lastRenewal = now;
                    Renewals++;
                    await Task.Delay(Interval, token);
                }
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or InvalidOperationException)
            {
                // No answer in time, or the stream broke (a write to a dead connection throws the HTTP/2 layer's
                // IOException, not an RpcException): the next member.
            }
            Failovers++;
            _member = (_member + 1) % _endpoints.Count;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // A call stuck on a frozen member: the process is killed by the spec anyway.
        }
        _stop.Dispose();
    }
}
