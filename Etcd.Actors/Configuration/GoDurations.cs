using System.Globalization;
using System.Text;

namespace Etcd.Actors.Configuration;

/// <summary>
/// Go's time.ParseDuration and Duration.String, so duration flags and options accept exactly what etcd accepts (a
/// sequence of decimal numbers with units ns, us (µs), ms, s, m, h, e.g. "300ms", "1.5h", "2h45m"; "0" alone) and
/// errors read as etcd prints them ("time: invalid duration", "time: missing unit in duration", "time: unknown unit
/// ... in duration"). Pure: the command line (Etcd.Node), the auto compactor's retention and the JWT ttl use it.
/// </summary>
public static class GoDurations
{
    private static readonly (string Unit, decimal Ticks)[] Units =
    [
        ("ns", 0.01m), ("us", 10), ("µs", 10), ("μs", 10), ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string text, out TimeSpan value, out string error)
    {
        value = TimeSpan.Zero;
        error = "invalid duration";
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s is "0") return true;
        if (s.IsEmpty) return false;
        decimal ticks = 0;
        while (!s.IsEmpty)
        {
            var n = 0;
            while (n < s.Length && (char.IsAsciiDigit(s[n]) || s[n] == '.')) n++;
            if (n == 0 || !decimal.TryParse(s[..n], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
            s = s[n..];
            var u = 0;
            while (u < s.Length && !char.IsAsciiDigit(s[u]) && s[u] != '.') u++;
            if (u == 0)
            {
                error = "missing unit in duration";
                return false;
            }
            var unit = s[..u].ToString();
            var match = Array.FindIndex(Units, x => x.Unit == unit);
            if (match < 0)
            {
                error = $"unknown unit \"{unit}\" in duration";
                return false;
            }
            // decimal throws where Go reports an overflow as "invalid duration".
            try { ticks += number * Units[match].Ticks; }
            catch (OverflowException) { return false; }
            if (ticks > TimeSpan.MaxValue.Ticks) return false;
            s = s[u..];
        }
        value = TimeSpan.FromTicks((long)Math.Round(ticks) * (negative ? -1 : 1));
        return true;
    }

    /// <summary>Go's Duration.String for whole milliseconds and up: "1h0m0s", "30m0s", "1.5s", "500ms".</summary>
    public static string Format(TimeSpan d)
    {
        if (d == TimeSpan.Zero) return "0s";
        var sb = new StringBuilder();
        if (d < TimeSpan.Zero)
        {
            sb.Append('-');
            d = d.Negate();
        }
        if (d < TimeSpan.FromSeconds(1))
            return sb.Append((d.Ticks / (decimal)TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture)).Append("ms").ToString();
        var hours = (long)d.TotalHours;
        if (hours > 0) sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || d.Minutes > 0) sb.Append(d.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        var seconds = (d.Ticks % TimeSpan.TicksPerMinute) / (decimal)TimeSpan.TicksPerSecond;
        return sb.Append(seconds.ToString(CultureInfo.InvariantCulture)).Append('s').ToString();
    }
}
