using System.Globalization;
using Akka.Configuration;

namespace Etcd.Actors.Configuration;

/// <summary>
/// Typed, validated reads for the <c>Settings.Create(Config)</c> factories (the shape of Akka's
/// <c>ClusterSingletonManagerSettings.Create</c>): every key falls back to reference.conf, and a value of the
/// wrong type or out of range is refused with an <see cref="ArgumentException"/> that names the key, never
/// clamped into range. A key missing from reference.conf too is a bug in the library: <see cref="ConfigurationException"/>.
/// </summary>
public sealed class SettingsReader
{
    private readonly Config _config;

    /// <param name="config">The whole configuration (with its <c>etcd</c> section); reference.conf fills in every key it lacks.</param>
    public SettingsReader(Config config) => _config = config.WithFallback(EtcdConfig.Reference);

    public string String(string path) => Read(path, "a string", c => c.GetString(path));

    public bool Bool(string path) => Read(path, "a boolean (true or false)", c => c.GetBoolean(path));

    public IReadOnlyList<string> Strings(string path) => Read(path, "a list of strings", c => c.GetStringList(path).ToArray());

    public int Int(string path, int min = int.MinValue) => AtLeast(path, Read(path, "an integer", c => c.GetInt(path)), min);

    public long Long(string path, long min = long.MinValue) => AtLeast(path, Read(path, "an integer", c => c.GetLong(path)), min);

    /// <summary>A size such as <c>64 KiB</c> or a plain number of bytes.</summary>
    public long Bytes(string path, long min, long max = long.MaxValue)
    {
        var value = AtLeast(path, Read(path, "a size in bytes (e.g. 64 KiB)", c => c.GetByteSize(path) ?? throw new FormatException("no value")), min);
        if (value > max) throw new ArgumentException($"{path} must be at most {max.ToString(CultureInfo.InvariantCulture)} bytes, got {value.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    /// <summary>A duration such as <c>500ms</c> or <c>5s</c>; must be positive.</summary>
    public TimeSpan Duration(string path)
    {
        var value = Read(path, "a duration (e.g. 500ms, 5s)", c => c.GetTimeSpan(path, null, allowInfinite: false));
        if (value <= TimeSpan.Zero) throw new ArgumentException($"{path} must be a positive duration, got {value}");
        return value;
    }

    /// <summary>A duration where zero means "off" (e.g. <c>0s</c>); must not be negative.</summary>
    public TimeSpan DurationOrZero(string path)
    {
        var value = Read(path, "a duration (e.g. 500ms, 5s)", c => c.GetTimeSpan(path, null, allowInfinite: false));
        if (value < TimeSpan.Zero) throw new ArgumentException($"{path} must not be negative, got {value}");
        return value;
    }

    private static T AtLeast<T>(string path, T value, T min) where T : IComparable<T>, IFormattable
    {
        if (value.CompareTo(min) < 0)
            throw new ArgumentException($"{path} must be at least {min.ToString(null, CultureInfo.InvariantCulture)}, got {value.ToString(null, CultureInfo.InvariantCulture)}");
        return value;
    }

    private T Read<T>(string path, string expected, Func<Config, T> read)
    {
        if (!_config.HasPath(path)) throw new ConfigurationException($"{path} is not set and reference.conf has no default for it");
        try
        {
            return read(_config);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException($"{path} must be {expected}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }
}
