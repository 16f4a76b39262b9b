using System.Data.Common;
using System.Runtime.CompilerServices;
using LinqToDB.Interceptors;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Runs <see cref="SqlitePragmas.ApplyJournalPragmas"/> on every connection the journal plugin opens (linq2db,
/// under Akka.Persistence.Sql, calls it after each open), so the journal's durability never depends on the
/// SQLite build's default for WAL connections (<c>SQLITE_DEFAULT_WAL_SYNCHRONOUS</c>, which builds may set to
/// NORMAL: a commit then survives a process crash but not power loss, and Raft would have acknowledged it).
/// A connection that does not end up at FULL throws, so the write on it fails instead of being acknowledged.
/// </summary>
/// <remarks>
/// <c>synchronous</c> belongs to the native connection, and Microsoft.Data.Sqlite's pool hands the same native
/// connection (the same <c>sqlite3</c> handle object) to one <see cref="SqliteConnection"/> after another: the plugin
/// opens one per write. So the pragmas run once per native connection, the first time it is seen, and not again on
/// every write (two statements, ~25 µs of every put's journal write: docs/benchmarks.md "The journal write of one
/// put"). Only the journal plugin and this class use these connections, so nothing sets the pragma back.
/// </remarks>
internal sealed class JournalConnectionInterceptor : ConnectionInterceptor
{
    // Weak keys: a native connection the pool closes is collected with its entry.
    private readonly ConditionalWeakTable<object, object> _configured = new();
    private long _opened;
    private long _configuredCount;

    /// <summary>Connections opened through here so far (specs check that the plugin really goes through here).</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>Native connections that had their pragmas set and checked (at most one per pooled connection).</summary>
    public long Configured => Interlocked.Read(ref _configuredCount);

    public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        Interlocked.Increment(ref _opened);
        object? native = (connection as SqliteConnection)?.Handle;
        if (native is not null && _configured.TryGetValue(native, out _)) return;
        SqlitePragmas.ApplyJournalPragmas(connection);
        if (native is not null) _configured.AddOrUpdate(native, native);
        Interlocked.Increment(ref _configuredCount);
    }

    public override Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        // Two pragmas on an open local connection, at most once per native connection: not worth an async path.
        ConnectionOpened(eventData, connection);
        return Task.CompletedTask;
    }
}
