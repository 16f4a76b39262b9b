namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// One recorded operation: who invoked what, when, and how it ended. Timestamps are monotonic clock
/// ticks (any unit; only their order matters). An ambiguous operation has <see cref="Return"/> =
/// <see cref="long.MaxValue"/> and no output: it may have taken effect at any point after its invocation,
/// or never.
/// </summary>
public sealed record Operation
{
    /// <summary>The return time of an operation whose completion is unknown.</summary>
    public const long Infinity = long.MaxValue;

    private Operation(int id, int client, KvOp op, long invoke, long ret, OpOutcome outcome, OpOutput? output)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (ret < invoke) throw new ArgumentException($"op #{id}: returns at {ret} before it is invoked at {invoke}");
        if (outcome == OpOutcome.Ok)
        {
            ArgumentNullException.ThrowIfNull(output);
            if (output.Kind != op.Kind) throw new ArgumentException($"op #{id}: a {op.Kind} cannot return a {output.Kind} output");
        }
        Id = id;
        Client = client;
        Op = op;
        Invoke = invoke;
        Return = ret;
        Outcome = outcome;
        Output = output;
    }

    /// <summary>Identifies the operation in reports; the recorder numbers operations in invocation order.</summary>
    public int Id { get; }

    public int Client { get; }

    public KvOp Op { get; }

    public long Invoke { get; }

    public long Return { get; }

    public OpOutcome Outcome { get; }

    /// <summary>Set iff <see cref="Outcome"/> is <see cref="OpOutcome.Ok"/>.</summary>
    public OpOutput? Output { get; }

    public string Key => Op.Key;

    public static Operation Ok(int id, int client, KvOp op, long invoke, long ret, OpOutput output) =>
        new(id, client, op, invoke, ret, OpOutcome.Ok, output);

    public static Operation Ambiguous(int id, int client, KvOp op, long invoke) =>
        new(id, client, op, invoke, Infinity, OpOutcome.Ambiguous, null);

    public static Operation Failed(int id, int client, KvOp op, long invoke, long ret) =>
        new(id, client, op, invoke, ret, OpOutcome.Failed, null);

    public override string ToString() => Outcome switch
    {
        OpOutcome.Ok => $"#{Id} c{Client} {Op.Key} {Op} -> {Output} [{Invoke}, {Return}]",
        OpOutcome.Ambiguous => $"#{Id} c{Client} {Op.Key} {Op} -> ? [{Invoke}, inf]",
        _ => $"#{Id} c{Client} {Op.Key} {Op} -> failed [{Invoke}, {Return}]",
    };
}
