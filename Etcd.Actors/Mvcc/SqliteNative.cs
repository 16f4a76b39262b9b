using System.Runtime.InteropServices;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The few SQLite calls a row costs, made straight into the same e_sqlite3 library SQLitePCL loads (the runtime
/// resolves "e_sqlite3" through the app's native assets, as SQLitePCL's own provider does), on the raw statement
/// pointer. Through SQLitePCL.raw each call goes through its provider interface and marshals the statement's
/// SafeHandle, an interlocked AddRef and Release per call: a 1,000-key range makes ~13 calls per row, and those two
/// were ~8% of the member's CPU under range load (docs/benchmarks.md "Range rows without SafeHandle"). The caller
/// (<see cref="SqliteStatement"/>) holds the SafeHandle, so the pointer stays valid while it is used, from the one
/// thread that owns the backend.
/// The column getters skip the GC transition: they only read the current row under the connection's own mutex,
/// which no other thread takes (the connection is the owner's alone), with no I/O and no allocation for BLOB and
/// INTEGER columns read as what they are. Stepping, resetting and binding (which may free a value) keep it.
/// DllImport, not LibraryImport: every argument is blittable, and LibraryImport would need unsafe code in the project.
/// </summary>
internal static class SqliteNative
{
    private const string Lib = "e_sqlite3";

    [DllImport(Lib)]
    public static extern int sqlite3_step(IntPtr stmt);

    [DllImport(Lib)]
    public static extern int sqlite3_reset(IntPtr stmt);

    [DllImport(Lib)]
    public static extern int sqlite3_bind_int64(IntPtr stmt, int index, long value);

    [DllImport(Lib), SuppressGCTransition]
    public static extern long sqlite3_column_int64(IntPtr stmt, int column);

    [DllImport(Lib), SuppressGCTransition]
    public static extern IntPtr sqlite3_column_blob(IntPtr stmt, int column);

    [DllImport(Lib), SuppressGCTransition]
    public static extern int sqlite3_column_bytes(IntPtr stmt, int column);
}
