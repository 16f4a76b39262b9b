namespace Etcd.Node.AuthorityFix;

/// <summary>What <see cref="AuthorityHeaderRewriter.Inspect"/> found in one header block.</summary>
internal enum AuthorityVerdict
{
    /// <summary>An :authority was not a plain host[:port]; the block was rewritten.</summary>
    Rewritten,

    /// <summary>Every :authority literal was already a plain host[:port] (Kestrel accepts it as it is).</summary>
    Fine,

    /// <summary>No :authority literal (absent, or only indexed references): nothing to judge the connection by.</summary>
    Absent,

    /// <summary>Not valid HPACK: forwarded as it is for Kestrel to refuse.</summary>
    Unreadable,
}
