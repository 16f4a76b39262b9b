using System.Globalization;

namespace Etcd.Benchmark;

/// <summary>
/// --server-pids: the CPU time (user + system) the server processes used, read from /proc/PID/stat at the start and
/// the end of the timed window. On a small shared machine the throughput of one run swings by 2x with the
/// neighbours; the CPU a server spends per request does not, so it is the figure to compare across runs.
/// </summary>
public static class ServerCpu
{
    /// <summary>Linux's USER_HZ, the unit of utime/stime in /proc (100 on every mainstream architecture).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Summed CPU seconds of <paramref name="pids"/>, or null when one cannot be read (exited, not Linux).</summary>
    public static double? ReadSeconds(IReadOnlyList<int> pids)
    {
        if (pids.Count == 0)
        {
            return null;
        }
        long ticks = 0;
        foreach (int pid in pids)
        {
            if (ParseTicks(TryRead($"/proc/{pid}/stat")) is not { } t)
            {
                return null;
            }
            ticks += t;
        }
        return ticks / TicksPerSecond;
    }

    /// <summary>utime + stime (fields 14 and 15) of a /proc/PID/stat line; the command name (field 2) may hold spaces and parentheses.</summary>
    public static long? ParseTicks(string? stat)
    {
        if (stat is null)
        {
            return null;
        }
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and fields[12].
        if (fields.Length < 13 ||
            !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out long utime) ||
            !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out long stime))
        {
            return null;
        }
        return utime + stime;
    }

    /// <summary>The RESULT fields: CPU milliseconds in the window and microseconds per operation; empty without figures.</summary>
    public static string Fields(double? before, double? after, long ops)
    {
        if (before is not { } b || after is not { } a)
        {
            return "";
        }
        double ms = (a - b) * 1000;
        string perOp = ops > 0 ? (ms * 1000 / ops).ToString("F1", CultureInfo.InvariantCulture) : "NaN";
        return string.Create(CultureInfo.InvariantCulture, $" server_cpu_ms={ms:F0} server_cpu_us_per_op={perOp}");
    }

    /// <summary>
    /// With --server-pids, the benchmark's own CPU per operation over the same window: on a small machine the client
    /// shares the cores with the server, so what a client feature costs it (e.g. the token of --user) shows in the
    /// server's rate too. Empty without <paramref name="own"/>.
    /// </summary>
    public static string ClientFields(TimeSpan? own, long ops)
    {
        if (own is not { } t || ops <= 0) return "";
        return string.Create(CultureInfo.InvariantCulture, $" client_cpu_us_per_op={t.TotalMicroseconds / ops:F1}");
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
