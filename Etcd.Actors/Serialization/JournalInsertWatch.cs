using System.Data.Common;
using LinqToDB.Interceptors;

namespace Etcd.Actors.Serialization;

/// <summary>
/// Counts the journal plugin's INSERTs and how many of them came with newly built SQL (a command text that is not the
/// string instance the previous INSERT had): with <see cref="JournalSqlOptimizer"/> in force that is one per member,
/// without it one per write. A reference comparison per command; specs read it to see the cache hold on the plugin's
/// own journal rows, not only on a table of their own.
/// </summary>
internal sealed class JournalInsertWatch : CommandInterceptor
{
    private string? _last;
    private long _inserts;
    private long _built;

    /// <summary>INSERT commands executed on the journal's connections.</summary>
    public long Inserts => Interlocked.Read(ref _inserts);

    /// <summary>Of those, the ones whose SQL text was built anew rather than reused.</summary>
    public long Built => Interlocked.Read(ref _built);

    public override DbCommand CommandInitialized(CommandEventData eventData, DbCommand command)
    {
        var text = command.CommandText;
        if (!text.StartsWith("INSERT", StringComparison.Ordinal)) return command;
        Interlocked.Increment(ref _inserts);
        // The plugin runs one write at a time per journal; a race here could only over-count, never hide a rebuild.
        if (!ReferenceEquals(Interlocked.Exchange(ref _last, text), text)) Interlocked.Increment(ref _built);
        return command;
    }
}
