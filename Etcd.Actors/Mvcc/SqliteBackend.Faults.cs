using System.Collections.Concurrent;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Fault injection for specs: a hook registered for a backend file is asked before the file is opened
/// (<c>"open"</c>) and inside every commit's transaction after its rows are written (<c>"commit"</c>), and may
/// return the exception to throw there, e.g. a <c>SqliteException</c> with SQLITE_BUSY, SQLITE_IOERR or
/// SQLITE_FULL, the errors a real disk gives. Keyed by full path, so specs in one process cannot disturb
/// each other; production registers nothing and pays one dictionary lookup per open and a null check per commit.
/// </summary>
public sealed partial class SqliteBackend
{
    private static readonly ConcurrentDictionary<string, Func<string, Exception?>> Faults = new(StringComparer.Ordinal);

    private Func<string, Exception?>? _fault;

    /// <summary>Registers <paramref name="fault"/> for the backend at <paramref name="path"/> until disposed.</summary>
    internal static IDisposable InjectFaults(string path, Func<string, Exception?> fault)
    {
        var key = Path.GetFullPath(path);
        Faults[key] = fault;
        return new Registration(key);
    }

    private static Func<string, Exception?>? FaultFor(string path) =>
        Faults.IsEmpty ? null : Faults.GetValueOrDefault(Path.GetFullPath(path));

    private void MaybeFail(string operation)
    {
        if (_fault?.Invoke(operation) is { } ex) throw ex;
    }

    private sealed class Registration(string key) : IDisposable
    {
        public void Dispose() => Faults.TryRemove(key, out _);
    }
}
