using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Benchmark;

/// <summary>
/// One benchmark operation. Requests are built up front (before the clock starts), so the
/// timed loop only indexes an array and awaits the RPC.
/// </summary>
public abstract class Workload
{
    public abstract string Description { get; }

    /// <summary>One timed request; throws <see cref="Grpc.Core.RpcException"/> or <see cref="BenchCheckException"/> on failure.</summary>
    public abstract Task ExecuteAsync(WorkerContext ctx, int index, CancellationToken ct);

    /// <summary>Opens per-worker state (e.g. a stream) before the clock starts.</summary>
    public virtual void InitWorker(WorkerContext ctx)
    {
    }

    /// <summary>Closes per-worker state after the clock stopped.</summary>
    public virtual Task EndWorkerAsync(WorkerContext ctx) => Task.CompletedTask;

    /// <summary>Untimed set-up after the warm-up (e.g. leases to keep alive); returns an error message or null.</summary>
    public virtual Task<string?> PrepareAsync(Runner runner) => Task.FromResult<string?>(null);

    /// <summary>Untimed tidy-up after the report (e.g. revoke the leases granted); returns a note or null.</summary>
    public virtual Task<string?> CleanupAsync(Runner runner) => Task.FromResult<string?>(null);

    public static Workload Create(BenchOptions o, int seed) => o.Command switch
    {
        BenchCommand.Put or BenchCommand.Failover or BenchCommand.Watch => new PutWorkload(o, new Random(seed)),
        BenchCommand.Range => new RangeWorkload(o),
        BenchCommand.TxnPut => new TxnPutWorkload(o, new Random(seed)),
        BenchCommand.LeaseGrant => new LeaseGrantWorkload(o),
        BenchCommand.LeaseKeepAlive => new LeaseKeepAliveWorkload(o),
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };

    /// <summary>
    /// A pool of distinct random values. etcd's tool sends one value for every request; a small
    /// pool keeps memory flat for large --total while still avoiding a single repeated payload.
    /// </summary>
    protected static ByteString[] ValuePool(Random rng, int valSize, int total)
    {
        var pool = new ByteString[Math.Min(total, 1024)];
        var buf = new byte[valSize];
        for (int i = 0; i < pool.Length; i++)
        {
            rng.NextBytes(buf);
            pool[i] = ByteString.CopyFrom(buf);
        }
        return pool;
    }
}

public sealed class PutWorkload : Workload
{
    private readonly PutRequest[] _requests;
    private readonly BenchOptions _o;

    public PutWorkload(BenchOptions o, Random rng)
    {
        _o = o;
        var values = ValuePool(rng, o.ValSize, o.Total);
        _requests = new PutRequest[o.Total];
        for (int i = 0; i < o.Total; i++)
        {
            long n = o.SequentialKeys ? i % o.KeySpaceSize : rng.Next(o.KeySpaceSize);
            _requests[i] = new PutRequest
            {
                Key = o.KeyPrefix.Length == 0
                    ? UnsafeByteOperations.UnsafeWrap(KeyGen.Key(o.KeySize, n))
                    : UnsafeByteOperations.UnsafeWrap((byte[])[.. System.Text.Encoding.UTF8.GetBytes(o.KeyPrefix), .. KeyGen.Key(o.KeySize, n)]),
                Value = values[i % values.Length],
            };
        }
    }

    /// <summary>The prebuilt request for slot <paramref name="index"/> (the failover runner sends it itself, with a deadline).</summary>
    public PutRequest Request(int index) => _requests[index];

    public override string Description =>
        $"put key-size={_o.KeySize} val-size={_o.ValSize} key-space-size={_o.KeySpaceSize} sequential-keys={_o.SequentialKeys}" +
        (_o.KeyPrefix.Length > 0 ? $" key-prefix={_o.KeyPrefix}" : "");

    public override async Task ExecuteAsync(WorkerContext ctx, int index, CancellationToken ct)
    {
        using var call = ctx.Conn.Kv.PutAsync(_requests[index], cancellationToken: ct);
        await call.ResponseAsync.ConfigureAwait(false);
    }
}

public sealed class RangeWorkload : Workload
{
    // Immutable after construction; protobuf serialisation only reads them, so all workers share them.
    private readonly RangeRequest _request;
    private readonly TxnRequest? _txn;
    private readonly BenchOptions _o;

    public RangeWorkload(BenchOptions o)
    {
        _o = o;
        _request = new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(o.RangeKey),
            Serializable = o.Consistency == "s",
        };
        if (o.RangeEnd is not null)
        {
            _request.RangeEnd = ByteString.CopyFromUtf8(o.RangeEnd);
        }
        _txn = o.RangeTxn switch
        {
            // Read-only either way, so both servers answer it as a read (no Raft entry), as they do a Range.
            "op" => new TxnRequest { Success = { new RequestOp { RequestRange = _request } } },
            "compare" => new TxnRequest
            {
                Compare =
                {
                    new Compare
                    {
                        Key = _request.Key,
                        RangeEnd = _request.RangeEnd,
                        Target = Compare.Types.CompareTarget.Value,
                        Result = Compare.Types.CompareResult.Greater,
                        Value = ByteString.Empty,
                    },
                },
            },
            _ => null,
        };
    }

    public override string Description =>
        $"range key={_o.RangeKey}{(_o.RangeEnd is null ? "" : " end=" + _o.RangeEnd)} consistency={_o.Consistency}" +
        (_txn is null ? "" : $" txn={_o.RangeTxn}");

    public override async Task ExecuteAsync(WorkerContext ctx, int index, CancellationToken ct)
    {
        if (_txn is not null)
        {
            using var txn = ctx.Conn.Kv.TxnAsync(_txn, cancellationToken: ct);
            var resp = await txn.ResponseAsync.ConfigureAwait(false);
            // A compare over keys that all have a value holds: a failed one means the keys are not there.
            if (_o.RangeTxn == "compare" && !resp.Succeeded) throw new BenchCheckException("txn compare failed: are the keys there?");
            return;
        }
        using var call = ctx.Conn.Kv.RangeAsync(_request, cancellationToken: ct);
        await call.ResponseAsync.ConfigureAwait(false);
    }
}

/// <summary>
/// As etcd's txn-put: each txn has no compares and --txn-ops puts in its success branch, on
/// sequential keys ((i * txn-ops) + j) mod key-space-size.
/// </summary>
public sealed class TxnPutWorkload : Workload
{
    private readonly TxnRequest[] _requests;
    private readonly BenchOptions _o;

    public TxnPutWorkload(BenchOptions o, Random rng)
    {
        _o = o;
        var values = ValuePool(rng, o.ValSize, o.Total);
        _requests = new TxnRequest[o.Total];
        for (int i = 0; i < o.Total; i++)
        {
            var txn = new TxnRequest();
            for (int j = 0; j < o.TxnOps; j++)
            {
                long n = ((long)i * o.TxnOps + j) % o.KeySpaceSize;
                txn.Success.Add(new RequestOp
                {
                    RequestPut = new PutRequest
                    {
                        Key = UnsafeByteOperations.UnsafeWrap(KeyGen.Key(o.KeySize, n)),
                        Value = values[i % values.Length],
                    },
                });
            }
            _requests[i] = txn;
        }
    }

    public override string Description =>
        $"txn-put key-size={_o.KeySize} val-size={_o.ValSize} key-space-size={_o.KeySpaceSize} txn-ops={_o.TxnOps}";

    public override async Task ExecuteAsync(WorkerContext ctx, int index, CancellationToken ct)
    {
        using var call = ctx.Conn.Kv.TxnAsync(_requests[index], cancellationToken: ct);
        await call.ResponseAsync.ConfigureAwait(false);
    }
}
