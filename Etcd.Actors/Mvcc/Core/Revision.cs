namespace Etcd.Actors.Mvcc.Core;

/// <summary>
/// A point in the store's history (etcd's mvcc.revision). <see cref="Main"/> is the cluster-wide revision a
/// write request gets; <see cref="Sub"/> orders the changes inside one request (a txn's puts and deletes all
/// share one main revision). Ordered by (main, sub), which is also the backend's row order.
/// </summary>
public readonly record struct Revision(long Main, long Sub) : IComparable<Revision>
{
    public int CompareTo(Revision other)
    {
        if (Main != other.Main) return Main < other.Main ? -1 : 1;
        if (Sub != other.Sub) return Sub < other.Sub ? -1 : 1;
        return 0;
    }

    /// <summary>True when this revision is strictly after <paramref name="other"/>.</summary>
    public bool GreaterThan(Revision other) => CompareTo(other) > 0;

    public static bool operator <(Revision a, Revision b) => a.CompareTo(b) < 0;
    public static bool operator >(Revision a, Revision b) => a.CompareTo(b) > 0;
    public static bool operator <=(Revision a, Revision b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Revision a, Revision b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Main}_{Sub}";
}
