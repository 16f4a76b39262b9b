namespace Etcd.Node.Configuration;

/// <summary>
/// The value types etcd's flag set uses (Go's flag package plus etcd's pkg/flags), so each flag parses and
/// fails exactly the way it does in etcd.
/// </summary>
public enum FlagKind
{
    /// <summary>Free text.</summary>
    String,

    /// <summary>Go bool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. A bare flag means true.</summary>
    Bool,

    /// <summary>Go uint/uint64: decimal, not negative.</summary>
    UInt,

    /// <summary>Go int/int64: decimal.</summary>
    Int,

    /// <summary>Go time.Duration text such as 5s, 2h, 100ms or 1h30m.</summary>
    Duration,

    /// <summary>Comma-separated URLs (etcd's types.URLs): scheme http, https, unix or unixs; host:port; no path.</summary>
    Urls,

    /// <summary>Comma-separated strings (etcd's flags.StringsValue / UniqueStringsValue).</summary>
    List,
}
