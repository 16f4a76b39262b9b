namespace Etcd.Specs.Support;

/// <summary>
/// A lock held across processes on this machine (an exclusive lock on a file under the temp directory), for the
/// few specs that must use a fixed resource: the README's first command binds localhost:2379 and 2380, and two
/// test runs at once (CI streams side by side, a helper's run beside the lead's) would otherwise meet there.
/// </summary>
public sealed class MachineLock : IDisposable
{
    private readonly FileStream _file;

    private MachineLock(FileStream file) => _file = file;

    /// <summary>Waits (polling every 200 ms, at most <paramref name="within"/>) until this process holds <paramref name="name"/>.</summary>
    public static async Task<MachineLock> AcquireAsync(string name, TimeSpan within)
    {
        var path = Path.Combine(Path.GetTempPath(), $"etcd-actors-{name}.lock");
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix, released when the handle closes,
                // also when the process dies.
                return new MachineLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
