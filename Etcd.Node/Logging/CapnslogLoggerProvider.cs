using Microsoft.Extensions.Logging;

namespace Etcd.Node.Logging;

/// <summary>
/// Routes ASP.NET Core / gRPC log entries into the capnslog stream, so stderr has one format. Filtering
/// (Microsoft.AspNetCore and Grpc at Warning: Information-level request logging cost ~45% of the put
/// throughput when measured) is set on the logging builder, not here.
/// </summary>
public sealed class CapnslogLoggerProvider(Capnslog log) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(log, Package(categoryName));

    public void Dispose()
    {
    }

    /// <summary>"Microsoft.AspNetCore.Server.Kestrel" → "aspnetcore/kestrel"-style short package names.</summary>
    private static string Package(string category)
    {
        var parts = category.Split('.');
        return string.Join('/', parts.Skip(parts.Length > 2 ? parts.Length - 2 : 0)).ToLowerInvariant();
    }

    private sealed class Logger(Capnslog log, string pkg) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && log.IsEnabled(Severity(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message += ": " + exception.Message;
            log.Write(Severity(logLevel), pkg, message.ReplaceLineEndings(" "));
        }

        private static char Severity(LogLevel level) => level switch
        {
            LogLevel.Trace => 'T',
            LogLevel.Debug => 'D',
            LogLevel.Information => 'I',
            LogLevel.Warning => 'W',
            LogLevel.Error => 'E',
            _ => 'C',
        };
    }
}
