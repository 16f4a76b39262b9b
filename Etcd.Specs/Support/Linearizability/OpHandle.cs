namespace Etcd.Specs.Support.Linearizability;

/// <summary>An invoked operation's slot in a <see cref="HistoryRecorder"/>; pass it back to complete the operation.</summary>
public readonly record struct OpHandle(int Index);
