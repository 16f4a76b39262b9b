using System.Runtime.InteropServices;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// fsync for files and directories. A rename is durable only once the directory holding it is synced, and .NET
/// cannot open a directory as a stream, so the directory sync goes to libc on Unix (on Windows, NTFS journals
/// the rename itself and there is nothing to call).
/// </summary>
internal static class DurableFiles
{
    /// <summary>Flushes the file's data and metadata to the device.</summary>
    public static void SyncFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>Syncs a directory so renames and deletions in it survive power loss.</summary>
    public static void SyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Open(dir, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"open({dir}) for fsync failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync({dir}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Atomically puts <paramref name="staged"/> (already synced) in place of <paramref name="target"/> with one
    /// rename, after deleting <paramref name="target"/>'s stale -wal/-shm files (SQLite would otherwise replay the
    /// old WAL into the new file), then syncs the directory.
    /// </summary>
    public static void ReplaceSqliteFile(string staged, string target)
    {
        File.Delete(target + "-wal");
        File.Delete(target + "-shm");
        File.Delete(target + "-journal");
        File.Move(staged, target, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    /// <summary>Deletes an SQLite file and its -wal, -shm and -journal companions (each may be missing).</summary>
    public static void DeleteSqlite(string path)
    {
        File.Delete(path);
        File.Delete(path + "-wal");
        File.Delete(path + "-shm");
        File.Delete(path + "-journal");
    }

    /// <summary>Best effort <see cref="DeleteSqlite"/>: a stale staging file is removed again before its name is reused.</summary>
    public static void TryDeleteSqlite(string path)
    {
        try
        {
            DeleteSqlite(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
