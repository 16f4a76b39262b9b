using Etcd.Actors.Serialization;
using Microsoft.Data.Sqlite;

namespace Etcd.JournalBench;

/// <summary>
/// <c>raw-kept</c>, the floor: one connection kept open (<c>synchronous=FULL</c>) and one prepared command reused;
/// per write only BEGIN, the INSERT and COMMIT (one fsync of the WAL), all on the caller's thread.
/// </summary>
internal sealed class RawKeptMode : IWriteMode
{
    private readonly JournalRow _row;
    private readonly SqliteConnection _connection;
    private readonly RawInsert _insert;

    public RawKeptMode(string dbPath, JournalRow row)
    {
        _row = row;
        _connection = new SqliteConnection(RaftHocon.ConnectionString(dbPath));
        _connection.Open();
        SqlitePragmas.ApplyJournalPragmas(_connection);
        _insert = new RawInsert(_connection, row);
        _insert.Prepare();
    }

    /// <summary>One durable write on the calling thread (raw-async-hop calls it from its consumer).</summary>
    public void Write(long sequenceNr)
    {
        using var transaction = _connection.BeginTransaction();
        _insert.Execute(transaction, sequenceNr, _row.Message(sequenceNr));
        transaction.Commit();
    }

    public Task WriteAsync(long sequenceNr)
    {
        Write(sequenceNr);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _insert.Dispose();
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
