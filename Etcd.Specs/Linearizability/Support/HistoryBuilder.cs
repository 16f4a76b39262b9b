using Etcd.Specs.Support.Linearizability;

namespace Etcd.Specs.Linearizability;

/// <summary>Hand-written histories for specs: each call appends one operation with explicit timestamps.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<Operation> _ops = [];

    public IReadOnlyList<Operation> Ops => _ops;

    /// <summary>The id the next operation gets (ids are assigned in call order, from 0).</summary>
    public int NextId => _ops.Count;

    public HistoryBuilder Put(int client, string key, string value, long invoke, long ret) =>
        Add(Operation.Ok(NextId, client, KvOp.Put(key, value), invoke, ret, OpOutput.Put()));

    public HistoryBuilder Get(int client, string key, string? result, long invoke, long ret) =>
        Add(Operation.Ok(NextId, client, KvOp.Get(key), invoke, ret, OpOutput.Get(result)));

    public HistoryBuilder Cas(int client, string key, string? expected, string value, bool swapped, long invoke, long ret) =>
        Add(Operation.Ok(NextId, client, KvOp.Cas(key, expected, value), invoke, ret, OpOutput.Cas(swapped)));

    public HistoryBuilder Delete(int client, string key, long invoke, long ret) =>
        Add(Operation.Ok(NextId, client, KvOp.Delete(key), invoke, ret, OpOutput.Delete()));

    public HistoryBuilder Ambiguous(int client, KvOp op, long invoke) =>
        Add(Operation.Ambiguous(NextId, client, op, invoke));

    public HistoryBuilder Failed(int client, KvOp op, long invoke, long ret) =>
        Add(Operation.Failed(NextId, client, op, invoke, ret));

    public CheckResult Check(CheckOptions? options = null) => LinearizabilityChecker.Check(_ops, options);

    private HistoryBuilder Add(Operation op)
    {
        _ops.Add(op);
        return this;
    }
}
