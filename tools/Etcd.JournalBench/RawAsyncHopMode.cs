using System.Threading.Channels;

namespace Etcd.JournalBench;

/// <summary>
/// <c>raw-async-hop</c>: <see cref="RawKeptMode"/>'s write done by a consumer task, so each write crosses the thread
/// pool twice (the request to the consumer, the completion back to the waiting caller), as a write does between an
/// actor and the journal. The difference to raw-kept is what two hops cost on this box.
/// </summary>
internal sealed class RawAsyncHopMode : IWriteMode
{
    private readonly RawKeptMode _kept;
    // No synchronous continuations: the consumer's ReadAsync resumes on a pool thread, not inside the caller's TryWrite.
    private readonly Channel<(long SequenceNr, TaskCompletionSource Done)> _requests =
        Channel.CreateUnbounded<(long, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _consumer;

    public RawAsyncHopMode(string dbPath, JournalRow row)
    {
        _kept = new RawKeptMode(dbPath, row);
        _consumer = Task.Run(ConsumeAsync);
    }

    public Task WriteAsync(long sequenceNr)
    {
        // RunContinuationsAsynchronously: the caller resumes on a pool thread, not on the consumer's.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_requests.Writer.TryWrite((sequenceNr, done))) throw new InvalidOperationException("consumer has stopped");
        return done.Task;
    }

    private async Task ConsumeAsync()
    {
        await foreach (var (sequenceNr, done) in _requests.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                _kept.Write(sequenceNr);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.Complete();
        await _consumer.ConfigureAwait(false);
        await _kept.DisposeAsync().ConfigureAwait(false);
    }
}
