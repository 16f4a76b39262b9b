using System.Collections.Concurrent;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Fault injection for specs: a hook registered for a backend file is asked before the file is opened
/// (<c>"open"</c>), inside every commit's transaction after its rows are written (<c>"commit"</c>) and before each
/// step of the point read (<c>"read"</c>, <see cref="InjectedResult"/>), and may
/// return the exception to throw there, e.g. a <c>SqliteException</c> with SQLITE_BUSY, SQLITE_IOERR or
/// SQLITE_FULL, the errors a real disk gives. Keyed by full path, so specs in one process cannot disturb
/// each other; production registers nothing and pays one volatile read per open, per commit and per point read.
/// </summary>
public sealed partial class SqliteBackend
{
    private static readonly ConcurrentDictionary<string, Func<string, Exception?>> Faults = new(StringComparer.Ordinal);
    // Hooks registered now; production never registers one, so the hot path is one volatile read.
    private static int _registered;

    private string _fullPath = "";

    /// <summary>Registers <paramref name="fault"/> for the backend at <paramref name="path"/> until disposed; open backends see it at once.</summary>
    internal static IDisposable InjectFaults(string path, Func<string, Exception?> fault)
    {
        var key = Path.GetFullPath(path);
        Faults[key] = fault;
        Interlocked.Increment(ref _registered);
        return new Registration(key);
    }

    private static void MaybeFail(string fullPath, string operation)
    {
        if (Volatile.Read(ref _registered) == 0 || !Faults.TryGetValue(fullPath, out var fault)) return;
        if (fault(operation) is { } ex) throw ex;
    }

    private void MaybeFail(string operation) => MaybeFail(_fullPath, operation);

    /// <summary>
    /// For a <see cref="SqliteStatement"/>'s step (<c>"read"</c>: the point read): the SQLite result code of the
    /// <see cref="SqliteException"/> the hook returns, taken instead of stepping (SQLITE_BUSY is retried as a real one
    /// is), any other exception thrown, or SQLITE_OK to step.
    /// </summary>
    private int InjectedResult(string operation)
    {
        if (Volatile.Read(ref _registered) == 0 || !Faults.TryGetValue(_fullPath, out var fault)) return SQLitePCL.raw.SQLITE_OK;
        return fault(operation) switch
        {
            null => SQLitePCL.raw.SQLITE_OK,
            Microsoft.Data.Sqlite.SqliteException e => e.SqliteErrorCode,
            var other => throw other,
        };
    }

    private sealed class Registration(string key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            Faults.TryRemove(key, out _);
            Interlocked.Decrement(ref _registered);
        }
    }
}
