using System.Data.Common;
using LinqToDB.Interceptors;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Runs <see cref="SqlitePragmas.ApplyJournalPragmas"/> on every connection the journal plugin opens (linq2db,
/// under Akka.Persistence.Sql, calls it after each open), so the journal's durability never depends on the
/// SQLite build's default for WAL connections (<c>SQLITE_DEFAULT_WAL_SYNCHRONOUS</c>, which builds may set to
/// NORMAL: a commit then survives a process crash but not power loss, and Raft would have acknowledged it).
/// A connection that does not end up at FULL throws, so the write on it fails instead of being acknowledged.
/// </summary>
internal sealed class JournalConnectionInterceptor : ConnectionInterceptor
{
    private long _opened;

    /// <summary>Connections configured so far (specs check that the plugin really goes through here).</summary>
    public long Opened => Interlocked.Read(ref _opened);

    public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        SqlitePragmas.ApplyJournalPragmas(connection);
        Interlocked.Increment(ref _opened);
    }

    public override Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        // Two pragmas on an open local connection: microseconds, not worth an async path.
        ConnectionOpened(eventData, connection);
        return Task.CompletedTask;
    }
}
