using Etcd.Actors.Alarm.Core;
using Etcd.Api.Etcdserverpb;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The raised alarms (etcd keeps them in the backend's "alarm" bucket), written in the same transaction as the
/// batch that raised or disarmed them: after a crash the table matches the consistent index, and a restarted
/// member still refuses writes while CORRUPT is raised (etcd's restoreAlarms). A snapshot carries them.
/// </summary>
public sealed partial class SqliteBackend
{
    private const string AlarmsSchema = """
        CREATE TABLE IF NOT EXISTS alarms (
          member_id INTEGER NOT NULL, alarm INTEGER NOT NULL, PRIMARY KEY (member_id, alarm)) WITHOUT ROWID;
        """;

    private AlarmTable? _stagedAlarms;

    /// <summary>The alarms as last committed (loaded at open).</summary>
    public AlarmTable Alarms { get; private set; } = AlarmTable.Empty;

    /// <summary>Buffers the whole alarm table; <see cref="Commit"/> writes it with the rest of the batch.</summary>
    public void StageAlarms(AlarmTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _stagedAlarms = table;
    }

    private void WriteStagedAlarms(SqliteTransaction tx)
    {
        if (_stagedAlarms is not { } table) return;
        using (var clear = _conn.CreateCommand())
        {
            clear.Transaction = tx;
            clear.CommandText = "DELETE FROM alarms";
            clear.ExecuteNonQuery();
        }
        using var insert = _conn.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO alarms (member_id, alarm) VALUES ($m, $a)";
        var member = insert.Parameters.Add("$m", SqliteType.Integer);
        var alarm = insert.Parameters.Add("$a", SqliteType.Integer);
        foreach (var (type, id) in table.All)
        {
            member.Value = unchecked((long)id);
            alarm.Value = (long)type;
            insert.ExecuteNonQuery();
        }
    }

    private void PublishStagedAlarms()
    {
        if (_stagedAlarms is null) return;
        Alarms = _stagedAlarms;
        _stagedAlarms = null;
    }

    private void LoadAlarms()
    {
        Exec(AlarmsSchema);
        var alarms = new List<(AlarmType, ulong)>();
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SELECT member_id, alarm FROM alarms";
        using var r = cmd.ExecuteReader();
        while (r.Read()) alarms.Add(((AlarmType)r.GetInt64(1), unchecked((ulong)r.GetInt64(0))));
        Alarms = new AlarmTable(alarms);
    }
}
