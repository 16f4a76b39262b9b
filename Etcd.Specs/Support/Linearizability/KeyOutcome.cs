namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// What one key's search found. When it failed or ran out of budget, <see cref="StuckOp"/> is the definite
/// operation (search numbering) whose return the search got furthest before it could not be explained,
/// with the state, the op that wrote it (-1: the initial value) and the last operations linearized at
/// that point. <see cref="MemoFull"/> says an
/// inconclusive search stopped at the memo bound rather than the step budget.
/// </summary>
internal sealed record KeyOutcome(
    CheckVerdict Verdict,
    long Steps,
    int MemoEntries,
    bool MemoFull,
    int StuckOp,
    int StuckState,
    int StuckWriter,
    int StuckDepth,
    IReadOnlyList<int> Trail);
