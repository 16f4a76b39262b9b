namespace Etcd.JournalBench;

/// <summary>One way of making a journal row durable; the runner awaits each write before it starts the next.</summary>
internal interface IWriteMode : IAsyncDisposable
{
    /// <summary>Writes row <paramref name="sequenceNr"/> (1, 2, ...) and completes once it is committed.</summary>
    Task WriteAsync(long sequenceNr);
}
