using Akka.Persistence;
using Akka.Persistence.TestKit;
using Etcd.Actors.Errors;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Server;

/// <summary>
/// What a waiting put costs the member: its waiter, not a timer of its own. With the journal's write held, a few
/// hundred puts wait at once; the process's active timers may not grow with them (Task.WaitAsync armed one per put;
/// the registry's shared sweep is one for all), and every put is answered once the write goes through.
/// </summary>
public sealed class ProposalWaitSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Puts = 300;
    private readonly TempDir _dir = new("etcd-proposal-wait");
    private EtcdNode _node = null!;

    public async Task InitializeAsync() => _node = await TestJournals.StartSingleMemberAsync(_dir);

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private static PutRequest Put(string key, string value) => new() { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) };

    [Fact]
    public async Task Hundreds_of_waiting_puts_arm_no_timer_each_and_are_all_answered()
    {
        var server = _node.Server;
        var journal = TestJournals.Of(_node.System);
        await server.PutAsync(Put("pw/warm", "0")); // the shared sweep's timer exists from here on
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await journal.OnWrite.SetInterceptorAsync(new HeldWrite(writing, release.Task));

        var first = server.PutAsync(Put("pw/first", "1"));
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var before = Timer.ActiveCount;
        // Registered synchronously, each before PutAsync returns: all of them wait behind the held write.
        var puts = Enumerable.Range(0, Puts).Select(i => server.PutAsync(Put($"pw/{i}", "v"))).ToList();
        var during = Timer.ActiveCount;
        output.WriteLine($"active timers: {before} before {Puts} waiting puts, {during} while they wait");
        Assert.All(puts, p => Assert.False(p.IsCompleted));

        release.SetResult();
        await journal.OnWrite.Pass();
        var first1 = await first.WaitAsync(TimeSpan.FromSeconds(30));
        var answered = await Task.WhenAll(puts).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(answered, a => Assert.True(a.Header.Revision > first1.Header.Revision));
        // Other specs' timers may come and go meanwhile, but not one per waiting put.
        Assert.True(during - before < Puts / 3, $"{during - before} more active timers while {Puts} puts waited");
    }

    [Fact]
    public async Task Writes_answer_through_their_waiter_and_refusals_come_as_faulted_tasks_not_throws()
    {
        var server = _node.Server;
        var put = await server.PutAsync(Put("pw/d", "1"));
        var txn = new TxnRequest();
        txn.Success.Add(new RequestOp { RequestPut = Put("pw/t", "2") });

        var txnAnswer = await server.TxnAsync(txn);
        var deleted = await server.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("pw/d") });

        Assert.True(txnAnswer.Succeeded);
        Assert.Equal(put.Header.Revision + 1, txnAnswer.Header.Revision);
        Assert.Equal(1, deleted.Deleted);
        Assert.Equal(put.Header.Revision + 2, deleted.Header.Revision);
        // The edge's checks fail the returned task (as an async method would), so the gRPC layer maps them the same way.
        var emptyDelete = server.DeleteRangeAsync(new DeleteRangeRequest());
        var emptyPut = server.PutAsync(new PutRequest());
        var badTxn = new TxnRequest();
        badTxn.Success.Add(new RequestOp { RequestPut = Put("pw/x", "1") });
        badTxn.Success.Add(new RequestOp { RequestPut = Put("pw/x", "2") });
        var duplicateTxn = server.TxnAsync(badTxn);
        Assert.Equal("etcdserver: key is not provided", (await Assert.ThrowsAsync<EtcdException>(() => emptyDelete)).Error.Message);
        Assert.Equal("etcdserver: key is not provided", (await Assert.ThrowsAsync<EtcdException>(() => emptyPut)).Error.Message);
        Assert.Equal("etcdserver: duplicate key given in txn request", (await Assert.ThrowsAsync<EtcdException>(() => duplicateTxn)).Error.Message);
    }

    private sealed class HeldWrite(TaskCompletionSource writing, Task release) : IJournalInterceptor
    {
        private int _held;

        public async Task InterceptAsync(IPersistentRepresentation message)
        {
            if (Interlocked.Exchange(ref _held, 1) == 1) return;
            writing.TrySetResult();
            await release.ConfigureAwait(false);
        }
    }
}
