using System.Runtime.InteropServices;

namespace Etcd.Node.Hosting;

/// <summary>
/// Caps glibc's malloc arenas before the member starts its threads. glibc gives a thread that finds the arenas it
/// tried locked an arena of its own, up to 8 per core (mallopt(3), M_ARENA_MAX), each a 64 MiB reservation whose
/// touched pages stay resident after the memory is freed. Here every native allocation (SQLite's page cache and
/// statements, the runtime's own) comes from a handful of threads, so more arenas buy no throughput, only RSS: with
/// two arenas a member's peak under 3 x 30k puts and 20k ranges fell from 240-242 MB to 229-230 MB with the same
/// put rate (docs/benchmarks.md, "Memory and start-up"). A MALLOC_ARENA_MAX in the environment (read by glibc
/// itself) is left to win; on a C library without mallopt (musl) nothing changes.
/// </summary>
internal static class NativeMemory
{
    /// <summary>The cap: the main arena and one more.</summary>
    internal const int MallocArenas = 2;

    // glibc's malloc.h: #define M_ARENA_MAX -8
    private const int MArenaMax = -8;

    // DllImport, not LibraryImport: two ints need no marshalling, and LibraryImport would need unsafe code in the project.
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int param, int value);

    /// <summary>Applies <see cref="MallocArenas"/>; true when glibc took it.</summary>
    internal static bool LimitMallocArenas(IReadOnlyDictionary<string, string> environment)
    {
        if (!OperatingSystem.IsLinux() || environment.ContainsKey("MALLOC_ARENA_MAX")) return false;
        try
        {
            return MallOpt(MArenaMax, MallocArenas) == 1; // mallopt returns 1 on success
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
