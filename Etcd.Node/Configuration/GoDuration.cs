using System.Globalization;

namespace Etcd.Node.Configuration;

/// <summary>
/// Go's time.ParseDuration, so duration flags accept exactly what etcd accepts: a sequence of decimal
/// numbers with units ns, us (µs), ms, s, m, h, e.g. "300ms", "1.5h", "2h45m"; "0" alone is allowed.
/// </summary>
public static class GoDuration
{
    private static readonly (string Unit, double Ticks)[] Units =
    [
        ("ns", 0.01), ("us", 10), ("µs", 10), ("μs", 10), ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s is "0") return true;
        if (s.IsEmpty) return false;
        double ticks = 0;
        while (!s.IsEmpty)
        {
            var n = 0;
            while (n < s.Length && (char.IsAsciiDigit(s[n]) || s[n] == '.')) n++;
            if (n == 0 || !double.TryParse(s[..n], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                return false;
            s = s[n..];
            var u = 0;
            while (u < s.Length && !char.IsAsciiDigit(s[u]) && s[u] != '.') u++;
            if (u == 0) return false; // Go: "missing unit in duration"
            var unit = s[..u].ToString();
            var match = Array.FindIndex(Units, x => x.Unit == unit);
            if (match < 0) return false;
            ticks += number * Units[match].Ticks;
            s = s[u..];
        }
        if (ticks > TimeSpan.MaxValue.Ticks) return false;
        value = TimeSpan.FromTicks((long)Math.Round(ticks) * (negative ? -1 : 1));
        return true;
    }
}
