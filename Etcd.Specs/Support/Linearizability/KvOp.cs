namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// What a client asked for: the kind, the key and the input. Values are non-null strings; <c>null</c>
/// means "absent" (a Cas whose <see cref="Expected"/> is null succeeds only if the key does not exist).
/// </summary>
public sealed record KvOp
{
    private KvOp(OpKind kind, string key, string? value, string? expected)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        Kind = kind;
        Key = key;
        Value = value;
        Expected = expected;
    }

    public OpKind Kind { get; }

    public string Key { get; }

    /// <summary>The value a Put writes or a Cas writes on success; null for Get and Delete.</summary>
    public string? Value { get; }

    /// <summary>The value a Cas expects; null means the key must be absent. Always null for other kinds.</summary>
    public string? Expected { get; }

    public static KvOp Put(string key, string value) => new(OpKind.Put, key, value ?? throw new ArgumentNullException(nameof(value)), null);

    public static KvOp Get(string key) => new(OpKind.Get, key, null, null);

    public static KvOp Cas(string key, string? expected, string value) =>
        new(OpKind.Cas, key, value ?? throw new ArgumentNullException(nameof(value)), expected);

    public static KvOp Delete(string key) => new(OpKind.Delete, key, null, null);

    public override string ToString() => Kind switch
    {
        OpKind.Put => $"Put({Quote(Value)})",
        OpKind.Get => "Get()",
        OpKind.Cas => $"Cas({Quote(Expected)} -> {Quote(Value)})",
        _ => "Delete()",
    };

    /// <summary>A value as the reports print it: quoted, or <c>absent</c>.</summary>
    public static string Quote(string? value) => value is null ? "absent" : $"\"{value}\"";
}
