using Etcd.Actors.Errors;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Xunit;

namespace Etcd.Specs.Server;

/// <summary>
/// The registry's timed waiters (what a proposal awaits): answered with the applier's response, failed with etcd's
/// "request timed out" by the shared sweep once past their deadline, cancelled with the caller's token, and in every
/// case taken out of the registry, so its bound counts only those still waiting.
/// </summary>
public sealed class WaitRegistrySpecs
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_waiter_nobody_answers_fails_with_request_timed_out_after_the_timeout_and_leaves_the_registry()
    {
        var waits = new WaitRegistry(10, TimeSpan.FromMilliseconds(200));
        var started = Environment.TickCount64;
        var waiter = waits.Register<PutResponse>(1, CancellationToken.None)!;

        var ex = await Assert.ThrowsAsync<EtcdException>(() => waiter.Task.WaitAsync(Bound));
        var waited = Environment.TickCount64 - started;

        Assert.Equal(EtcdErrors.Timeout, ex.Error);
        Assert.Equal("etcdserver: request timed out", ex.Error.Message);
        Assert.True(waited >= 200, $"timed out after {waited} ms, before its 200 ms");
        Assert.Equal(0, waits.Count);
        Assert.False(waits.IsWaiting(1));
        // Answered after its timeout: nobody waits any more.
        Assert.False(waits.Trigger(1, new PutResponse()));
    }

    [Fact]
    public async Task A_waiter_answered_before_its_deadline_gets_the_response_and_never_times_out()
    {
        var waits = new WaitRegistry(10, TimeSpan.FromMilliseconds(100));
        var waiter = waits.Register<PutResponse>(2, CancellationToken.None)!;
        var response = new PutResponse { Header = new ResponseHeader { Revision = 7 } };

        Assert.True(waits.Trigger(2, response));

        Assert.Same(response, await waiter.Task.WaitAsync(Bound));
        // A later timed waiter times out on its own: the sweep ran past the first one's deadline without touching it.
        var later = waits.Register<PutResponse>(3, CancellationToken.None)!;
        await Assert.ThrowsAsync<EtcdException>(() => later.Task.WaitAsync(Bound));
        Assert.True(waiter.Task.IsCompletedSuccessfully);
        Assert.Equal(0, waits.Count);
    }

    [Fact]
    public async Task A_cancelled_caller_is_forgotten_and_its_task_cancelled()
    {
        var waits = new WaitRegistry(10, TimeSpan.FromMinutes(1));
        using var cts = new CancellationTokenSource();
        var waiter = waits.Register<PutResponse>(4, cts.Token)!;
        Assert.Equal(1, waits.Count);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.Task.WaitAsync(Bound));
        Assert.Equal(0, waits.Count);
        Assert.False(waits.Trigger(4, new PutResponse()));
    }

    [Fact]
    public async Task A_forgotten_waiter_is_unhooked_from_its_token_and_cancelled()
    {
        var waits = new WaitRegistry(10, TimeSpan.FromMinutes(1));
        using var cts = new CancellationTokenSource();
        var waiter = waits.Register<PutResponse>(13, cts.Token)!;

        waits.Forget(13); // what EtcdServer does when it refuses the proposal after registering it

        Assert.True(waiter.Task.IsCanceled);
        Assert.Equal(0, waits.Count);
        // Its registration was removed: cancelling the token later finds nothing to run and no waiter to remove.
        var again = waits.Register<PutResponse>(13, CancellationToken.None)!;
        await cts.CancelAsync();
        Assert.Equal(1, waits.Count);
        Assert.False(again.Task.IsCompleted);
    }

    [Fact]
    public void A_caller_cancelled_before_it_registers_is_not_left_waiting()
    {
        var waits = new WaitRegistry(10, TimeSpan.FromMinutes(1));
        var waiter = waits.Register<PutResponse>(5, new CancellationToken(canceled: true))!;

        Assert.True(waiter.Task.IsCanceled);
        Assert.Equal(0, waits.Count);
    }

    [Fact]
    public async Task The_bound_counts_only_those_still_waiting()
    {
        var waits = new WaitRegistry(2, TimeSpan.FromMilliseconds(100));
        var first = waits.Register<PutResponse>(6, CancellationToken.None)!;
        Assert.NotNull(waits.Register<PutResponse>(7, CancellationToken.None));
        Assert.Null(waits.Register<PutResponse>(8, CancellationToken.None)); // full: "too many requests" at the edge

        await Assert.ThrowsAsync<EtcdException>(() => first.Task.WaitAsync(Bound));
        for (var i = 0; i < 300 && waits.Count > 0; i++) await Task.Delay(10); // the second times out in the same or the next sweep
        Assert.Equal(0, waits.Count);
        Assert.NotNull(waits.Register<PutResponse>(9, CancellationToken.None));
    }

    [Fact]
    public async Task A_response_of_another_type_fails_the_waiter_instead_of_completing_it()
    {
        var waits = new WaitRegistry(10, TimeSpan.FromMinutes(1));
        var waiter = waits.Register<PutResponse>(10, CancellationToken.None)!;

        Assert.True(waits.Trigger(10, new DeleteRangeResponse()));

        await Assert.ThrowsAsync<InvalidCastException>(() => waiter.Task.WaitAsync(Bound));
    }

    [Fact]
    public async Task Failing_every_waiter_answers_timed_and_untimed_ones_with_the_error()
    {
        var waits = new WaitRegistry(10, TimeSpan.FromMinutes(1));
        var timed = waits.Register<PutResponse>(11, CancellationToken.None)!;
        var untimed = waits.Register(12)!;

        waits.FailAll(EtcdErrors.TimeoutDueToLeaderFail);

        Assert.Equal(EtcdErrors.TimeoutDueToLeaderFail, (await Assert.ThrowsAsync<EtcdException>(() => timed.Task.WaitAsync(Bound))).Error);
        Assert.Equal(EtcdErrors.TimeoutDueToLeaderFail, (await Assert.ThrowsAsync<EtcdException>(() => untimed.Task.WaitAsync(Bound))).Error);
        Assert.Equal(0, waits.Count);
    }
}
