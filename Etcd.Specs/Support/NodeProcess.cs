using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Etcd.Specs.Support;

/// <summary>
/// A real Etcd.Node process on loopback ports of its own, with its data in a directory the caller owns.
/// Waits for etcd's "ready to serve client requests" line (an event, not a sleep); stops by PID.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly ConcurrentQueue<string> _output = new();
    private System.Diagnostics.Process? _process;
    private TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IReadOnlyList<string>? _exactArguments;

    public NodeProcess(string dataDir, string name = "default", int? clientPort = null, int? peerPort = null, params string[] extraArgs)
        : this(false, dataDir, name, clientPort, peerPort, extraArgs)
    {
    }

    private NodeProcess(bool realEtcd, string dataDir, string name, int? clientPort, int? peerPort, string[] extraArgs,
        bool noFlags = false, string? workingDirectory = null, IReadOnlyList<string>? exactArguments = null)
    {
        NoFlags = noFlags;
        _exactArguments = exactArguments;
        WorkingDirectory = workingDirectory;
        RealEtcd = realEtcd;
        DataDir = dataDir;
        Name = name;
        ClientPort = clientPort ?? FreePort.Next();
        PeerPort = peerPort ?? FreePort.Next();
        ExtraArgs = extraArgs;
    }

    /// <summary>The real etcd 3.4 from apt with the same flags: the reference our behaviour is compared with.</summary>
    public static NodeProcess Reference(string dataDir, string name = "default") => new(true, dataDir, name, null, null, []);

    /// <summary>A member of a real etcd 3.4 cluster (<see cref="ProcessCluster.CreateReference"/>): the same flags as ours.</summary>
    public static NodeProcess ReferenceMember(string dataDir, string name, int peerPort, params string[] extraArgs) =>
        new(true, dataDir, name, null, peerPort, extraArgs);

    /// <summary>Etcd.Node started with no flags at all in <paramref name="workingDirectory"/>: localhost:2379, ./default.etcd.</summary>
    public static NodeProcess WithNoFlags(string workingDirectory) =>
        new(false, Path.Combine(workingDirectory, "default.etcd"), "default", 2379, 2380, [], noFlags: true, workingDirectory);

    /// <summary>
    /// Etcd.Node run with exactly <paramref name="arguments"/> in <paramref name="workingDirectory"/>, as a
    /// Procfile line runs it; the name and ports are what those arguments configure (for Endpoint and messages).
    /// </summary>
    public static NodeProcess WithArguments(string workingDirectory, string dataDir, string name, int clientPort, int peerPort,
        IReadOnlyList<string> arguments) =>
        new(false, dataDir, name, clientPort, peerPort, [], workingDirectory: workingDirectory, exactArguments: [.. arguments]);

    public bool RealEtcd { get; }
    public bool NoFlags { get; }
    public string? WorkingDirectory { get; }
    public string DataDir { get; }
    public string Name { get; }
    public int ClientPort { get; }
    public int PeerPort { get; }
    public string[] ExtraArgs { get; }
    /// <summary>"https" for a member whose client URL (listened on and advertised) is https; set before <see cref="StartAsync"/>.</summary>
    public string ClientScheme { get; set; } = "http";

    /// <summary>"https" for a member whose peer URL (listened on and advertised) is https; set before <see cref="StartAsync"/>.</summary>
    public string PeerScheme { get; set; } = "http";

    public string Endpoint => $"{ClientScheme}://127.0.0.1:{ClientPort}";
    public string PeerUrl => $"{PeerScheme}://127.0.0.1:{PeerPort}";
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");
    public bool IsRunning => _process is { HasExited: false };
    public Task<int> Exited => _exited.Task;
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// A cgroup v2 directory the process joins before it runs (so before it opens any socket: a socket belongs to
    /// the cgroup its creator was in then), e.g. for <see cref="LoopbackPartition"/>'s nftables rules to tell this
    /// member's own connections apart; null: the spec's cgroup. Set it before <see cref="StartAsync"/>.
    /// </summary>
    public string? Cgroup { get; set; }

    public IReadOnlyList<string> Arguments => _exactArguments ?? (NoFlags ? [] :
    [
        "--name", Name, "--data-dir", DataDir,
        "--listen-client-urls", Endpoint, "--advertise-client-urls", Endpoint,
        "--listen-peer-urls", PeerUrl,
        "--initial-advertise-peer-urls", PeerUrl,
        "--initial-cluster", $"{Name}={PeerUrl}",
        .. ExtraArgs,
    ]);

    /// <summary>Starts the process and waits until it serves clients (at most <paramref name="within"/>, default 60 s).</summary>
    public async Task StartAsync(TimeSpan? within = null)
    {
        var timeout = within ?? StartTimeout;
        if (_process is { HasExited: false }) throw new InvalidOperationException("already running");
        // This start's own completions: the handlers below capture them, not the fields, because the previous
        // process's Exited handler may still be running when a spec restarts at once (StopAsync resumes as soon as
        // the exit code is set), and it used to fail this start's readiness with the old process's "exited with 0".
        var ready = NewTcs();
        var exited = _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var program = RealEtcd ? "etcd" : "dotnet";
        var psi = new ProcessStartInfo(Cgroup is null ? program : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = WorkingDirectory ?? Environment.CurrentDirectory,
        };
        if (Cgroup is not null)
        {
            // The shell joins the cgroup and execs the node, so the PID (signals, Pid) stays the node's own.
            foreach (var a in new[] { "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", Cgroup, program }) psi.ArgumentList.Add(a);
        }
        if (!RealEtcd) psi.ArgumentList.Add(RepoPaths.NodeDll);
        foreach (var a in Arguments) psi.ArgumentList.Add(a);
        var p = new System.Diagnostics.Process { StartInfo = psi, EnableRaisingEvents = true };
        p.OutputDataReceived += (_, e) => OnLine(e.Data, ready);
        p.ErrorDataReceived += (_, e) => OnLine(e.Data, ready);
        p.Exited += (_, _) =>
        {
            p.WaitForExit(); // drains the redirected output, so the reason is in Output below
            ready.TrySetException(new InvalidOperationException($"Etcd.Node exited with {p.ExitCode} before it was ready:\n{Output}"));
            exited.TrySetResult(p.ExitCode);
        };
        if (!p.Start()) throw new InvalidOperationException("could not start Etcd.Node");
        _process = p;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Etcd.Node was not ready within {timeout}:\n{Output}");
        }
    }

    /// <summary>SIGKILL: the process gets no chance to flush anything.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } p) return;
        Signals.Send(p.Id, Signals.SIGKILL);
        await _exited.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM and wait for a graceful exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (_process is not { HasExited: false } p) return _process?.ExitCode ?? 0;
        Signals.Send(p.Id, Signals.SIGTERM);
        try
        {
            return await _exited.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            await KillAsync();
            throw new TimeoutException("Etcd.Node did not stop within 30 s of SIGTERM:\n" + Output);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await KillAsync(); }
        catch (TimeoutException) { /* nothing more to do for a process that ignores SIGKILL */ }
        _process?.Dispose();
    }

    /// <summary>
    /// Completes with the first line (since the process started, or from now on) that contains <paramref name="fragment"/>;
    /// throws TimeoutException after <paramref name="within"/>. An event, not a poll of <see cref="Output"/>.
    /// </summary>
    public async Task<string> WaitForLineAsync(string fragment, TimeSpan within)
    {
        var seen = NewLineTcs();
        lock (_lineWaiters)
        {
            if (_output.FirstOrDefault(l => l.Contains(fragment, StringComparison.Ordinal)) is { } already) return already;
            _lineWaiters.Add((fragment, seen));
        }
        try
        {
            return await seen.Task.WaitAsync(within);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no line with \"{fragment}\" within {within}:\n{Output}");
        }
        finally
        {
            lock (_lineWaiters) _lineWaiters.RemoveAll(w => w.Seen == seen);
        }
    }

    private readonly List<(string Fragment, TaskCompletionSource<string> Seen)> _lineWaiters = [];

    private static TaskCompletionSource<string> NewLineTcs() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnLine(string? line, TaskCompletionSource ready)
    {
        if (line is null) return;
        lock (_lineWaiters)
        {
            if (_output.Count < 5000) _output.Enqueue(line);
            foreach (var (fragment, seen) in _lineWaiters)
                if (line.Contains(fragment, StringComparison.Ordinal)) seen.TrySetResult(line);
        }
        if (line.Contains("ready to serve client requests", StringComparison.Ordinal)) ready.TrySetResult();
    }

    private static TaskCompletionSource NewTcs() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
