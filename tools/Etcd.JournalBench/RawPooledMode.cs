using Etcd.Actors.Serialization;
using Microsoft.Data.Sqlite;

namespace Etcd.JournalBench;

/// <summary>
/// <c>raw-pooled</c>: what the plugin does for one write, minus the actor, the stream and linq2db. Per write a pooled
/// connection is opened from the plugin's connection string, a transaction begun, a fresh command built and run,
/// committed and everything closed. <c>synchronous=FULL</c> is set once per native connection, as
/// <see cref="JournalConnectionInterceptor"/> does for the plugin.
/// </summary>
internal sealed class RawPooledMode(string dbPath, JournalRow row) : IWriteMode
{
    private readonly string _connectionString = RaftHocon.ConnectionString(dbPath);
    // The pool hands the same native handle out again; reference identity, as the interceptor's weak table.
    private readonly HashSet<object> _configured = new(ReferenceEqualityComparer.Instance);

    public Task WriteAsync(long sequenceNr)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        if (connection.Handle is { } native && _configured.Add(native)) SqlitePragmas.ApplyJournalPragmas(connection);
        using var transaction = connection.BeginTransaction();
        using var insert = new RawInsert(connection, row);
        insert.Execute(transaction, sequenceNr, row.Message(sequenceNr));
        transaction.Commit();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
