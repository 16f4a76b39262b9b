namespace Etcd.Specs.Support.Linearizability;

/// <summary>The operations a client history may contain, each on one key.</summary>
public enum OpKind
{
    /// <summary>Sets the key's value.</summary>
    Put,

    /// <summary>Reads the key's value (or its absence).</summary>
    Get,

    /// <summary>Compare-and-set through a Txn: sets the new value iff the current one equals the expected one.</summary>
    Cas,

    /// <summary>Removes the key.</summary>
    Delete,
}
