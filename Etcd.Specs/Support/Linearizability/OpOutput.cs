namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// What a completed operation returned. Put and Delete return nothing but "ok"; Get returns the value
/// (null when absent); Cas returns whether it swapped. <see cref="Kind"/> must match the operation's kind.
/// </summary>
public sealed record OpOutput
{
    private static readonly OpOutput PutOk = new(OpKind.Put, null, false);
    private static readonly OpOutput DeleteOk = new(OpKind.Delete, null, false);
    private static readonly OpOutput Swapped = new(OpKind.Cas, null, true);
    private static readonly OpOutput NotSwapped = new(OpKind.Cas, null, false);
    private static readonly OpOutput Missing = new(OpKind.Get, null, false);

    private OpOutput(OpKind kind, string? value, bool succeeded)
    {
        Kind = kind;
        Value = value;
        Succeeded = succeeded;
    }

    public OpKind Kind { get; }

    /// <summary>The value a Get read; null when the key was absent (and for every other kind).</summary>
    public string? Value { get; }

    /// <summary>Whether a Cas swapped; false for every other kind.</summary>
    public bool Succeeded { get; }

    public static OpOutput Put() => PutOk;

    public static OpOutput Delete() => DeleteOk;

    public static OpOutput Get(string? value) => value is null ? Missing : new(OpKind.Get, value, false);

    public static OpOutput Cas(bool succeeded) => succeeded ? Swapped : NotSwapped;

    public override string ToString() => Kind switch
    {
        OpKind.Get => KvOp.Quote(Value),
        OpKind.Cas => Succeeded ? "swapped" : "not swapped",
        _ => "ok",
    };
}
