namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// A violation <see cref="UniqueValueRules"/> proved directly: <see cref="Reader"/> observed a value that
/// could not be current when it ran. <see cref="Writer"/> is that value's only writer (null: nobody wrote
/// it, or it was the key's initial value); <see cref="Overwriter"/>, if set, is a write that real time
/// puts between the two.
/// </summary>
internal sealed record ValueViolation(Operation Reader, Operation? Writer, Operation? Overwriter, string Reason);
