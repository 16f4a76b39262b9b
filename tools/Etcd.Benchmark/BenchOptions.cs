namespace Etcd.Benchmark;

/// <summary>The benchmark sub-commands, named after etcd's tools/benchmark commands.</summary>
public enum BenchCommand
{
    Put,
    Range,
    TxnPut,
}

/// <summary>
/// Everything one benchmark run needs. Defaults follow etcd's tools/benchmark
/// (key/val size 8, key space 1, total 10000, one connection, one client).
/// </summary>
public sealed record BenchOptions
{
    public required BenchCommand Command { get; init; }

    // Global flags.
    public IReadOnlyList<string> Endpoints { get; init; } = ["http://127.0.0.1:2379"];
    public int Conns { get; init; } = 1;
    public int Clients { get; init; } = 1;
    public int Total { get; init; } = 10000;
    public double MaxSeconds { get; init; } = 120;
    public double DialTimeoutSeconds { get; init; } = 5;
    /// <summary>Seed for the request generator; null means "pick one and print it".</summary>
    public int? Seed { get; init; }

    // put / txn-put.
    public int KeySize { get; init; } = 8;
    public int ValSize { get; init; } = 8;
    public int KeySpaceSize { get; init; } = 1;
    public bool SequentialKeys { get; init; }
    public int TxnOps { get; init; } = 1;

    // range.
    public string RangeKey { get; init; } = "";
    public string? RangeEnd { get; init; }
    /// <summary>"l" (linearizable) or "s" (serializable).</summary>
    public string Consistency { get; init; } = "l";

    public string OpName => Command switch
    {
        BenchCommand.Put => "put",
        BenchCommand.Range => "range",
        BenchCommand.TxnPut => "txn-put",
        _ => throw new ArgumentOutOfRangeException(nameof(Command)),
    };
}
