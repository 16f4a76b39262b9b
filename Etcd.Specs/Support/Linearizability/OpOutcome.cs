namespace Etcd.Specs.Support.Linearizability;

/// <summary>How an operation ended, as far as its client could tell.</summary>
public enum OpOutcome
{
    /// <summary>The client got a reply; the operation took effect exactly once, between invoke and return.</summary>
    Ok,

    /// <summary>
    /// Timeout, unavailable, connection error or never completed: the operation may or may not have taken
    /// effect, at any time after its invocation. Its return is +infinity and its output unconstrained.
    /// </summary>
    Ambiguous,

    /// <summary>Definitely did not happen (e.g. a validation error). The checker drops such operations.</summary>
    Failed,
}
