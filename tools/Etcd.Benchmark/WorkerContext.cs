namespace Etcd.Benchmark;

/// <summary>One closed-loop worker: its index, its connection, and whatever state its workload keeps per worker.</summary>
public sealed class WorkerContext(int worker, Conn conn)
{
    public int Worker { get; } = worker;
    public Conn Conn { get; } = conn;
    /// <summary>Workload-owned, e.g. the worker's keep-alive stream; only the worker's own task touches it.</summary>
    public object? State { get; set; }
}
