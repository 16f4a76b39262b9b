using Etcd.Actors.Serialization;
using Microsoft.Data.Sqlite;

namespace Etcd.JournalBench;

/// <summary>
/// A fresh journal file in its own temporary directory, prepared as a member prepares raft.db
/// (<see cref="SqlitePragmas.PrepareJournal"/>: WAL, the plugin's tables, synchronous=FULL checked), deleted on dispose.
/// It lives under the system temp directory, so set TMPDIR to measure another disk.
/// </summary>
internal sealed class TempJournal : IDisposable
{
    private readonly string _dir;

    public TempJournal()
    {
        _dir = Directory.CreateTempSubdirectory("etcd-journalbench-").FullName;
        Path = System.IO.Path.Combine(_dir, "raft.db");
        SqlitePragmas.PrepareJournal(Path);
    }

    public string Path { get; }

    /// <summary>Journal rows on disk, read on a connection of its own (the runner checks every write landed).</summary>
    public long Rows()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM journal";
        return Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        // Pooled connections (the plugin's, raw-pooled's) keep the file open until the pool lets them go.
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
