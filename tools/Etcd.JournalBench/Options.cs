using System.Globalization;

namespace Etcd.JournalBench;

/// <summary>The command line: <c>--modes a,b,c --writes N --warmup N --payload BYTES</c>.</summary>
internal sealed record Options(IReadOnlyList<string> Modes, int Writes, int Warmup, int Payload)
{
    public static readonly string[] AllModes = ["plugin", "raw-pooled", "raw-kept", "raw-async-hop"];

    public static Options Parse(string[] args)
    {
        var options = new Options(AllModes, Writes: 3000, Warmup: 10000, Payload: 350);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--modes" => options with { Modes = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--writes" => options with { Writes = Positive(args[i], value) },
                "--warmup" => options with { Warmup = int.Parse(value, CultureInfo.InvariantCulture) },
                "--payload" => options with { Payload = Positive(args[i], value) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
            i++;
        }
        foreach (var mode in options.Modes)
            if (!AllModes.Contains(mode)) throw new ArgumentException($"unknown mode '{mode}' ({string.Join(", ", AllModes)})");
        return options;
    }

    private static int Positive(string name, string value) =>
        int.Parse(value, CultureInfo.InvariantCulture) is > 0 and var n ? n : throw new ArgumentException($"{name} must be positive");
}
