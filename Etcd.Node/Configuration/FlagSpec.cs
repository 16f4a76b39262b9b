namespace Etcd.Node.Configuration;

/// <summary>
/// One etcd flag: its name (also the HOCON key under <c>etcd.</c> and, upper-cased with '-' → '_' after
/// <c>ETCD_</c>, its environment variable), its type, etcd 3.4.23's default and what we do with it.
/// </summary>
/// <param name="Name">etcd's flag name without dashes.</param>
/// <param name="Kind">How the text is parsed.</param>
/// <param name="Default">etcd's default as text, parsed like a user value.</param>
/// <param name="Support">Whether the value is honoured, has no effect, or is refused unless default.</param>
/// <param name="Note">For <see cref="FlagSupport.Refused"/> the reason; for NoEffect why; shown in --help.</param>
public sealed record FlagSpec(string Name, FlagKind Kind, string Default, FlagSupport Support, string Note = "")
{
    /// <summary>What etcd's --help shows as the default when it differs from the parsed value (e.g. ${name}.etcd).</summary>
    public string? ShownDefault { get; init; }

    /// <summary>
    /// An extra check on an accepted value (e.g. a URL scheme that needs TLS). Returns the reason the value
    /// cannot be served yet, or null. Runs for Supported and NoEffect flags on every value.
    /// </summary>
    public Func<object, string?>? Refuse { get; init; }

    /// <summary>For etcd's selective string flags (e.g. new|existing): the only values accepted.</summary>
    public IReadOnlyList<string>? Allowed { get; init; }

    /// <summary>
    /// Largest number accepted. Go's uint is 64-bit; where EtcdServerSettings holds an int, larger values
    /// are refused as "value out of range" (Go's wording) instead of overflowing later.
    /// </summary>
    public long Max { get; init; } = long.MaxValue;

    public string EnvName => "ETCD_" + Name.ToUpperInvariant().Replace('-', '_');

    public string HoconPath => "etcd." + Name;

    /// <summary>The default, typed.</summary>
    public object DefaultValue => FlagValues.Parse(this, Default);
}
