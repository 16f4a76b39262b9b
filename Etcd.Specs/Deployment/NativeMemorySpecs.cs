using System.Globalization;
using Etcd.Api.Etcdserverpb;
using Etcd.Node.Hosting;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Deployment;

/// <summary>
/// Issue 11's memory goal: the member caps glibc's malloc arenas (Etcd.Node/Hosting/NativeMemory.cs). Left to
/// glibc, the member's threads took arena after arena up to glibc's cap of 8 per core (15 besides the main one on
/// this 2-core box), each a 64 MiB reservation whose touched pages stay resident. The cap applies from Main on, so
/// the arenas the runtime made before it stay (6 here). Counted from the outside, in /proc/PID/maps: a non-main
/// arena is an anonymous 64 MiB-aligned window mapped read-write from its start and reserved (no access) to its end.
/// </summary>
public sealed class NativeMemorySpecs(ITestOutputHelper output)
{
    private const long ArenaHeapBytes = 64L << 20; // glibc's HEAP_MAX_SIZE on 64-bit (2 * DEFAULT_MMAP_THRESHOLD_MAX)

    [Fact]
    public async Task A_member_under_concurrent_puts_keeps_to_two_malloc_arenas()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        await using var node = new NodeProcess(dir.Sub("data"));
        await node.StartAsync();
        using var channel = GrpcChannel.ForAddress(node.Endpoint);
        var kv = new KV.KVClient(channel);
        var value = ByteString.CopyFrom(new byte[256]);
        // 100 clients putting at once, as the benchmark does: the member's threads meet in malloc.
        await Task.WhenAll(Enumerable.Range(0, 100).Select(async c =>
        {
            for (var i = 0; i < 40; i++)
                await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"arena/{c}/{i}"), Value = value });
        }));

        var heaps = ArenaHeaps(File.ReadAllLines($"/proc/{node.Pid}/maps"));
        output.WriteLine($"non-main malloc arenas: {heaps.Count}\n{string.Join('\n', heaps)}");
        // Fewer than half of glibc's own cap (8 arenas per core), and never below 8, since the runtime's arenas from
        // before Main do not depend on the core count.
        var bound = Math.Max(8, 4 * Environment.ProcessorCount);
        Assert.True(heaps.Count < bound, $"{heaps.Count} non-main malloc arenas, fewer than {bound} expected:\n{string.Join('\n', heaps)}");
    }

    [Fact]
    public void A_malloc_arena_is_told_from_other_anonymous_mappings()
    {
        string[] maps =
        [
            "7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ",                  // an arena heap: read-write head...
            "7f0000021000-7f0004000000 ---p 00000000 00:00 0 ",                  // ...reserved to the 64 MiB boundary
            "7f0008000000-7f000c000000 rw-p 00000000 00:00 0 ",                  // an arena heap used to its end
            "7f0010000000-7f0010400000 rw-p 00000000 00:00 0 ",                  // a GC region: its reservation goes on
            "7f0010400000-7f0020000000 ---p 00000000 00:00 0 ",
            "7f0024000000-7f0024021000 rw-p 00000000 08:01 42  /tmp/x.db-shm",  // a file, not an arena
            "7f0024021000-7f0028000000 ---p 00000000 00:00 0 ",
        ];
        Assert.Equal(["7f0000000000", "7f0008000000"], ArenaHeaps(maps));
    }

    /// <summary>Start addresses of 64 MiB-aligned anonymous windows mapped read-write from their start and covered to
    /// their end by that mapping and at most one reserved (---p) one: glibc's layout of a non-main arena heap.</summary>
    private static List<string> ArenaHeaps(IEnumerable<string> maps)
    {
        var rows = maps.Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 5)
            .Select(f =>
            {
                var range = f[0].Split('-');
                return (Start: long.Parse(range[0], NumberStyles.HexNumber), End: long.Parse(range[1], NumberStyles.HexNumber),
                    Perms: f[1], Anonymous: f[4] == "0" && f.Length < 6 || f.Length == 6 && string.IsNullOrWhiteSpace(f[5]) && f[4] == "0");
            }).ToList();
        var heaps = new List<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            var head = rows[i];
            if (!head.Anonymous || head.Perms != "rw-p" || head.Start % ArenaHeapBytes != 0) continue;
            var end = head.Start + ArenaHeapBytes;
            var covered = head.End == end
                || head.End < end && i + 1 < rows.Count && rows[i + 1] is { Anonymous: true, Perms: "---p" } tail
                   && tail.Start == head.End && tail.End == end;
            if (covered) heaps.Add(head.Start.ToString("x", CultureInfo.InvariantCulture));
        }
        return heaps;
    }
}
