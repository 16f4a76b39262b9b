namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// One operation inside a <see cref="HistoryRecorder"/>. The invoking client fills it; the completing
/// client claims it with a compare-and-swap on <see cref="State"/> before writing the outcome, so a
/// double completion is caught and a concurrent snapshot never sees a half-written result.
/// </summary>
internal sealed class RecorderSlot(int client, KvOp op, long invoke)
{
    public const int Invoked = 0;
    public const int Completing = 1;
    public const int CompletedOk = 2;
    public const int CompletedAmbiguous = 3;
    public const int CompletedFailed = 4;

    public readonly int Client = client;
    public readonly KvOp Op = op;
    public readonly long Invoke = invoke;

    public int State;
    public long Return;
    public OpOutput? Output;
}
