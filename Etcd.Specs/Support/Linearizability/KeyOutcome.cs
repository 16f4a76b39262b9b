namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// What one key's search found. When it failed or ran out of budget, <see cref="StuckOp"/> is the definite
/// operation (search numbering) whose return the search got furthest before it could not be explained,
/// with the state and the last operations linearized at that point.
/// </summary>
internal sealed record KeyOutcome(
    CheckVerdict Verdict,
    long Steps,
    int StuckOp,
    int StuckState,
    int StuckDepth,
    IReadOnlyList<int> Trail);
