using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Etcd.Specs.Support;

/// <summary>
/// Cuts one member of a <see cref="ProcessCluster"/> off from its peers, in both directions, with nftables rules on
/// loopback, and heals it; its client port stays reachable, as when a member's peer link breaks.
/// <para>Matching the member's peer port alone is not enough: its own connections to the others leave from ephemeral
/// ports, and with <c>use-passive-connections = off</c> (Etcd.Actors/Server/member.conf) they carry everything it
/// sends. So every member runs in a cgroup v2 of its own, made here (<see cref="NodeProcess.Cgroup"/>), and the rules
/// match that cgroup (nft's <c>socket cgroupv2</c>, which looks at the sending or receiving socket): drop anything to
/// or from its peer port, anything its sockets send to another peer port, and anything another peer port sends to
/// its sockets.</para>
/// <para>The rules live in a table of their own (<c>inet etcdspec_PID_PORT</c>), made by <see cref="Cut"/> and
/// deleted by <see cref="Heal"/> and by <see cref="Dispose"/>, so nothing else on the machine is touched. Dispose
/// after the cluster's processes are gone (a cgroup with a live process cannot be removed).</para>
/// </summary>
public sealed class LoopbackPartition : IDisposable
{
    private readonly ProcessCluster _cluster;
    private readonly string _mount;
    private readonly string _table;
    private readonly string[] _cgroups;
    private int? _cut;

    private LoopbackPartition(ProcessCluster cluster, string mount, string table, string[] cgroups)
    {
        _cluster = cluster;
        _mount = mount;
        _table = table;
        _cgroups = cgroups;
    }

    /// <summary>The member now cut off, if any.</summary>
    public int? CutOff => _cut;

    /// <summary>
    /// Gives each member of <paramref name="cluster"/> (not started yet) a cgroup of its own, or returns null and why
    /// this machine cannot cut a member off (no nft, no writable cgroup v2, no permission for either).
    /// </summary>
    public static LoopbackPartition? TryCreate(ProcessCluster cluster, out string reason)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var nft = Nft("list", "tables");
        if (nft.Code != 0)
        {
            reason = $"nft is not usable here ({nft.Error.Trim()}); `apt-get install nftables` and run as root";
            return null;
        }
        // nft resolves `socket cgroupv2` paths under /sys/fs/cgroup, so the v2 hierarchy must be mounted there or below.
        var mount = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')).Where(f => f.Length > 2 && f[2] == "cgroup2")
            .Select(f => f[1]).FirstOrDefault(m => m == "/sys/fs/cgroup" || m.StartsWith("/sys/fs/cgroup/", StringComparison.Ordinal));
        if (mount is null)
        {
            reason = "no cgroup v2 hierarchy mounted under /sys/fs/cgroup";
            return null;
        }
        var tag = $"{Environment.ProcessId}_{cluster[0].PeerPort}";
        var made = new List<string>();
        try
        {
            foreach (var m in cluster.Members)
            {
                var dir = Path.Combine(mount, $"etcdspec-{tag}-{m.Name}");
                Directory.CreateDirectory(dir);
                made.Add(dir);
                if (!File.Exists(Path.Combine(dir, "cgroup.procs"))) throw new IOException($"{dir} is not a cgroup");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var dir in made) TryRemove(dir);
            reason = $"cannot make a cgroup under {mount}: {e.Message}";
            return null;
        }
        // A process must be able to join one (NodeProcess starts the member through the same shell line).
        var probe = Join(made[0]);
        if (probe is not null)
        {
            foreach (var dir in made) TryRemove(dir);
            reason = $"cannot join a cgroup under {mount}: {probe}";
            return null;
        }
        for (var i = 0; i < made.Count; i++) cluster[i].Cgroup = made[i];
        reason = "";
        return new LoopbackPartition(cluster, mount, "etcdspec_" + tag, [.. made]);
    }

    /// <summary>Drops every packet between member <paramref name="member"/> and the other members' peer ports.</summary>
    public void Cut(int member)
    {
        if (_cut is not null) throw new InvalidOperationException($"member {_cut} is already cut off");
        var node = _cluster[member];
        // The rules are only as good as the member's cgroup: check the process really is in it.
        var inside = File.ReadAllText($"/proc/{node.Pid}/cgroup");
        var relative = CgroupPath(member);
        if (!inside.Contains("0::/" + Path.GetRelativePath(_mount, _cgroups[member]), StringComparison.Ordinal))
            throw new InvalidOperationException($"{node.Name} (pid {node.Pid}) is not in its cgroup {_cgroups[member]}:\n{inside}");
        var others = string.Join(", ", _cluster.Members.Where(m => m != node).Select(m => m.PeerPort.ToString(CultureInfo.InvariantCulture)));
        var port = node.PeerPort.ToString(CultureInfo.InvariantCulture);
        var script = new StringBuilder()
            .AppendLine($"table inet {_table} {{")
            .AppendLine("  chain out {")
            .AppendLine("    type filter hook output priority 0; policy accept;")
            .AppendLine($"    tcp dport {port} counter drop comment \"to-member\"")
            .AppendLine($"    tcp sport {port} counter drop comment \"member-replies\"")
            .AppendLine($"    socket cgroupv2 level 1 \"{relative}\" tcp dport {{ {others} }} counter drop comment \"from-member\"")
            .AppendLine("  }")
            .AppendLine("  chain in {")
            .AppendLine("    type filter hook input priority 0; policy accept;")
            .AppendLine($"    socket cgroupv2 level 1 \"{relative}\" tcp sport {{ {others} }} counter drop comment \"to-member-sockets\"")
            .AppendLine("  }")
            .AppendLine("}")
            .ToString();
        var r = Exec(script, ["-f", "-"]);
        if (r.Code != 0) throw new InvalidOperationException($"nft refused the rules ({r.Error.Trim()}):\n{script}");
        _cut = member;
    }

    /// <summary>
    /// Removes the rules (the member is reachable again) and returns how many packets each dropped, by the rule's
    /// comment: "to-member" (the others' connections into its peer port), "member-replies", "from-member" (its own
    /// connections to the others), "to-member-sockets" (the others' answers on those).
    /// </summary>
    public IReadOnlyDictionary<string, long> Heal()
    {
        if (_cut is null) return new Dictionary<string, long>();
        var listed = Nft("list", "table", "inet", _table);
        var dropped = new Dictionary<string, long>();
        if (listed.Code == 0)
        {
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(listed.Output, "counter packets (\\d+) bytes \\d+ drop comment \"([a-z-]+)\""))
                dropped[m.Groups[2].Value] = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        var r = Nft("delete", "table", "inet", _table);
        if (r.Code != 0) throw new InvalidOperationException($"nft could not delete table {_table}: {r.Error.Trim()}");
        _cut = null;
        return dropped;
    }

    public void Dispose()
    {
        if (_cut is not null) Nft("delete", "table", "inet", _table);
        _cut = null;
        foreach (var dir in _cgroups) TryRemove(dir);
    }

    /// <summary>Runs a shell that joins <paramref name="dir"/> and exits; null when it could, else what it said.</summary>
    private static string? Join(string dir)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", "echo $$ > \"$0/cgroup.procs\"", dir }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var error = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000)) return "the probe did not finish within 30 s";
        return p.ExitCode == 0 ? null : $"exit {p.ExitCode}: {error.Trim()}";
    }

    /// <summary>The cgroup's path as nft wants it: relative to /sys/fs/cgroup (one level below the v2 root).</summary>
    private string CgroupPath(int member) => Path.GetRelativePath("/sys/fs/cgroup", _cgroups[member]);

    private static void TryRemove(string dir)
    {
        // A killed process leaves its cgroup as it exits, but the kernel may take a moment: bounded retries.
        for (var attempt = 0; attempt < 20 && Directory.Exists(dir); attempt++)
        {
            try
            {
                Directory.Delete(dir);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static (int Code, string Error, string Output) Nft(params string[] args) => Exec(null, args);

    private static (int Code, string Error, string Output) Exec(string? stdin, string[] args)
    {
        var path = new[] { "/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft" }.FirstOrDefault(File.Exists);
        if (path is null) return (-1, "nft not found", "");
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = System.Diagnostics.Process.Start(psi)!;
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            var error = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(30_000))
            {
                p.Kill();
                return (-1, "nft did not finish within 30 s", "");
            }
            return (p.ExitCode, error.Result, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message, "");
        }
    }
}
