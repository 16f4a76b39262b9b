using System.Runtime.InteropServices;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The few SQLite calls a row costs, made straight into the same e_sqlite3 library SQLitePCL loads, on the raw
/// statement pointer. Through SQLitePCL.raw each call goes through its provider interface and marshals the
/// statement's SafeHandle, an interlocked AddRef and Release per call: a 1,000-key range makes ~13 calls per row, and
/// those were ~8% of the member's CPU under range load (docs/benchmarks.md "A range's rows without SafeHandle
/// marshalling"). The caller (<see cref="SqliteStatement"/>) holds the SafeHandle, so the pointer stays valid while it
/// is used, from the one thread that owns the backend.
/// A pointer handed to another copy of the library would corrupt memory, so the type's initializer checks, once, that
/// "e_sqlite3" resolves to the very library SQLitePCL's provider calls (same address of sqlite3_step; the runtime
/// resolves both imports through the app's native assets) and fails loudly otherwise: a host that swapped the
/// provider (<c>raw.SetProvider</c>) or loaded the assemblies into a load context of its own.
/// The column getters skip the GC transition: they only read the current row under the connection's own mutex, which
/// no other thread takes (the connection is the owner's alone), with no I/O and no callback. They allocate only when a
/// value must be converted, which never happens for the BLOB and INTEGER columns read here as what they are (a TEXT
/// value stored in a BLOB column would be converted, a short malloc). Stepping, resetting and binding (which may free a
/// value) keep the transition.
/// DllImport, not LibraryImport: every argument is blittable, and LibraryImport would need unsafe code in the project.
/// The declarations match the provider's (Cdecl, exact spelling).
/// </summary>
internal static class SqliteNative
{
    private const string Lib = "e_sqlite3";

    static SqliteNative() => CheckSameLibrary();

    /// <summary>Throws unless "e_sqlite3" from this assembly is the library SQLitePCL's provider uses.</summary>
    internal static void CheckSameLibrary()
    {
        var ours = NativeLibrary.GetExport(NativeLibrary.Load(Lib, typeof(SqliteNative).Assembly, null), "sqlite3_step");
        var provider = typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly;
        var theirs = NativeLibrary.GetExport(NativeLibrary.Load(Lib, provider, null), "sqlite3_step");
        var name = SQLitePCL.raw.GetNativeLibraryName();
        if (ours != theirs || name != Lib)
            throw new InvalidOperationException(
                $"sqlite: '{Lib}' from {typeof(SqliteNative).Assembly.GetName().Name} is not the library SQLitePCL calls ('{name}' through {provider.GetName().Name}); refusing to pass it statement pointers");
    }

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_step(IntPtr stmt);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_reset(IntPtr stmt);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
    public static extern int sqlite3_bind_int64(IntPtr stmt, int index, long value);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true), SuppressGCTransition]
    public static extern long sqlite3_column_int64(IntPtr stmt, int column);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true), SuppressGCTransition]
    public static extern IntPtr sqlite3_column_blob(IntPtr stmt, int column);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true), SuppressGCTransition]
    public static extern int sqlite3_column_bytes(IntPtr stmt, int column);
}
