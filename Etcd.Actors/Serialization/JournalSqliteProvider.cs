using LinqToDB;
using LinqToDB.DataProvider.SQLite;
using LinqToDB.Internal.DataProvider.SQLite;
using LinqToDB.Internal.SqlProvider;

namespace Etcd.Actors.Serialization;

/// <summary>
/// linq2db's Microsoft.Data.Sqlite provider (name <see cref="ProviderName.SQLiteMS"/>, as the plugin's HOCON says)
/// with <see cref="JournalSqlOptimizer"/>, for the journal plugin's connections only (<see cref="SqlitePragmas.JournalDataOptions"/>).
/// </summary>
internal sealed class JournalSqliteProvider : SQLiteDataProvider
{
    public static readonly JournalSqliteProvider Instance = new();

    private readonly JournalSqlOptimizer _optimizer;

    private JournalSqliteProvider() : base(ProviderName.SQLiteMS, SQLiteProvider.Microsoft) => _optimizer = new JournalSqlOptimizer(SqlProviderFlags);

    public override ISqlOptimizer GetSqlOptimizer(DataOptions dataOptions) => _optimizer;
}
