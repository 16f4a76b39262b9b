namespace Etcd.Specs.Support.Linearizability;

public enum CheckVerdict
{
    /// <summary>Every key's sub-history has a linearization.</summary>
    Linearizable,

    /// <summary>Some key's sub-history has none: the search was exhaustive and found no order.</summary>
    NotLinearizable,

    /// <summary>The step budget ran out before the search finished; says nothing either way.</summary>
    Inconclusive,
}
