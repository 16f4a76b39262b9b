using LinqToDB;
using LinqToDB.Internal.DataProvider.SQLite;
using LinqToDB.Internal.SqlProvider;
using LinqToDB.Internal.SqlQuery;
using LinqToDB.Mapping;

namespace Etcd.Actors.Serialization;

/// <summary>
/// linq2db's SQLite optimizer, except that an INSERT whose only variable parts are its parameters is not
/// "parameter dependent", so linq2db builds its command text once and reuses it for every later write.
/// </summary>
/// <remarks>
/// linq2db keeps a statement's built SQL only when no part of it depends on parameter values
/// (<c>DataConnection.QueryRunner.GetCommand</c>), and <c>BasicSqlOptimizer.IsParameterDependedElement</c> counts
/// every parameter of a nullable or reference type as dependent, since a null may change a predicate's SQL
/// (<c>x = @p</c> against <c>x IS NULL</c>). Akka.Persistence.Sql writes each journal row with <c>InsertAsync</c>,
/// whose parameters (<c>persistence_id</c>, <c>manifest</c>, <c>writer_uuid</c>, <c>message</c>) are strings and a
/// byte array, so every journal write optimised, aliased and printed the same INSERT again: ~6 % of a member's CPU
/// under one client's puts, and ~35 µs of each put's latency (docs/benchmarks.md "The journal write of one put").
/// In an INSERT's column values a parameter is only bound, never compared, so its value cannot change the SQL; any
/// other element that linq2db calls dependent (a sub-query, a cast of a parameter, a predicate) still is, and
/// every other statement (the plugin's reads and deletes) is judged by linq2db's own rules.
/// </remarks>
internal sealed class JournalSqlOptimizer(SqlProviderFlags flags) : SQLiteSqlOptimizer(flags), ISqlOptimizer
{
    bool ISqlOptimizer.IsParameterDependent(NullabilityContext nullability, MappingSchema mappingSchema, SqlStatement statement, DataOptions dataOptions)
    {
        if (statement is not SqlInsertStatement insert || insert.IsParameterDependent || insert.SelectQuery.From.Tables.Count > 0)
            return IsParameterDependent(nullability, mappingSchema, statement, dataOptions);
        return null != statement.Find((optimizer: this, nullability, dataOptions, mappingSchema),
            static (ctx, e) => e is SqlParameter { IsQueryParameter: true }
                ? false
                : ctx.optimizer.IsParameterDependedElement(ctx.nullability, e, ctx.dataOptions, ctx.mappingSchema));
    }
}
