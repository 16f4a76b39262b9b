using System.IO.Pipelines;

namespace Etcd.Node.AuthorityFix;

/// <summary>
/// A connection's transport as Kestrel's HTTP/2 layer sees it: the output is the socket's own; the input is a
/// pipe fed by a pump that reads the socket and forwards it through <see cref="Http2InboundRewriter"/>.
/// Both pipe schedulers are inline, so forwarding adds a copy but no thread hop: the pump's flush runs Kestrel's
/// frame loop directly, as the socket's completion would have.
/// </summary>
internal sealed class AuthorityFixingTransport : IDuplexPipe
{
    private readonly IDuplexPipe _inner;
    private readonly Pipe _input;
    private readonly Task _pump;

    public AuthorityFixingTransport(IDuplexPipe inner, System.Buffers.MemoryPool<byte>? pool)
    {
        _inner = inner;
        // Thresholds as Kestrel's own request buffer (KestrelServerLimits.MaxRequestBufferSize, 1 MiB): HTTP/2 flow
        // control, not this pipe, is what limits a client.
        _input = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline,
            pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false));
        _pump = PumpAsync();
    }

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _inner.Output;

    /// <summary>Stops the pump (the connection is over) and waits for it.</summary>
    public async Task StopAsync()
    {
        _inner.Input.CancelPendingRead();
        await _pump.ConfigureAwait(false);
    }

    private async Task PumpAsync()
    {
        await Task.Yield(); // the constructor returns at once; the pump runs on its own
        var rewriter = new Http2InboundRewriter();
        var source = _inner.Input;
        var sink = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await source.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled) break;
                var consumed = rewriter.Process(buffer, sink);
                if (result.IsCompleted)
                {
                    rewriter.Finish(buffer.Slice(consumed), sink);
                    source.AdvanceTo(buffer.End);
                    await sink.FlushAsync().ConfigureAwait(false);
                    break;
                }
                source.AdvanceTo(consumed, buffer.End);
                var flush = await sink.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted) break; // Kestrel has stopped reading
            }
        }
        catch (Exception e)
        {
            error = e; // a reset socket: Kestrel sees the same exception from its input
        }
        finally
        {
            rewriter.Dispose();
            await sink.CompleteAsync(error).ConfigureAwait(false);
            await source.CompleteAsync().ConfigureAwait(false);
        }
    }
}
