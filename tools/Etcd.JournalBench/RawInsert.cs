using Etcd.Actors.Serialization;
using Microsoft.Data.Sqlite;

namespace Etcd.JournalBench;

/// <summary>
/// The journal INSERT of the raw modes: the columns Akka.Persistence.Sql fills for a row without tags (the schema of
/// <see cref="SqlitePragmas.JournalSchema"/>; <c>ordering</c> is the AUTOINCREMENT key), bound on a plain
/// Microsoft.Data.Sqlite command.
/// </summary>
internal sealed class RawInsert : IDisposable
{
    private const string Sql = """
        INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid)
        VALUES (@created, @deleted, @persistence_id, @sequence_number, @message, @manifest, @identifier, @writer_uuid)
        """;

    private readonly SqliteCommand _command;
    private readonly SqliteParameter _created;
    private readonly SqliteParameter _sequenceNumber;
    private readonly SqliteParameter _message;

    /// <summary>A command on <paramref name="connection"/> with every parameter added and the fixed ones bound.</summary>
    public RawInsert(SqliteConnection connection, JournalRow row)
    {
        _command = connection.CreateCommand();
        _command.CommandText = Sql;
        _created = _command.Parameters.Add("@created", SqliteType.Integer);
        _command.Parameters.AddWithValue("@deleted", false);
        _command.Parameters.AddWithValue("@persistence_id", JournalRow.PersistenceId);
        _sequenceNumber = _command.Parameters.Add("@sequence_number", SqliteType.Integer);
        _message = _command.Parameters.Add("@message", SqliteType.Blob);
        _command.Parameters.AddWithValue("@manifest", JournalRow.Manifest);
        _command.Parameters.AddWithValue("@identifier", ProtobufSerializer.Id);
        _command.Parameters.AddWithValue("@writer_uuid", row.WriterUuid);
    }

    /// <summary>Prepares the statement once, for a command that is reused (raw-kept's floor).</summary>
    public void Prepare() => _command.Prepare();

    /// <summary>Binds row <paramref name="sequenceNr"/> and runs the INSERT inside <paramref name="transaction"/>.</summary>
    public void Execute(SqliteTransaction transaction, long sequenceNr, byte[] message)
    {
        _command.Transaction = transaction;
        _created.Value = DateTime.UtcNow.Ticks;
        _sequenceNumber.Value = sequenceNr;
        _message.Value = message;
        if (_command.ExecuteNonQuery() != 1) throw new InvalidOperationException($"journal row {sequenceNr} was not inserted");
    }

    /// <summary>Disposes the command (the pooled mode makes one per write, as linq2db does).</summary>
    public void Dispose() => _command.Dispose();
}
