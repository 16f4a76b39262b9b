using System.Globalization;

namespace Etcd.Node.Logging;

/// <summary>
/// etcd 3.4's default log format (coreos/pkg/capnslog): <c>2006-01-02 15:04:05.000000 I | pkg: message</c>,
/// local time, one line per entry. Scripts wait for etcd's lines in this shape, so the milestones are
/// written here in etcd's words. Thread-safe: one lock around each write.
/// </summary>
public sealed class Capnslog(TextWriter output, string level)
{
    private readonly object _gate = new();
    private readonly int _threshold = Rank(level);

    public void Info(string pkg, string message) => Write('I', pkg, message);

    /// <summary>capnslog's NOTICE: etcd uses it for "serving insecure client requests".</summary>
    public void Notice(string pkg, string message) => Write('N', pkg, message);

    public void Warning(string pkg, string message) => Write('W', pkg, message);

    public void Error(string pkg, string message) => Write('E', pkg, message);

    public void Debug(string pkg, string message) => Write('D', pkg, message);

    public bool IsEnabled(char severity) => Rank(severity) >= _threshold;

    public void Write(char severity, string pkg, string message)
    {
        if (!IsEnabled(severity)) return;
        var line = $"{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)} {severity} | {pkg}: {message}";
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>--log-level names → capnslog severities (etcd maps panic and fatal to CRITICAL).</summary>
    private static int Rank(string level) => level switch
    {
        "debug" => Rank('D'),
        "info" => Rank('I'),
        "warn" => Rank('W'),
        "error" => Rank('E'),
        _ => Rank('C'),
    };

    private static int Rank(char severity) => severity switch
    {
        'T' => 0,
        'D' => 1,
        'I' => 2,
        'N' => 3,
        'W' => 4,
        'E' => 5,
        _ => 6,
    };
}
