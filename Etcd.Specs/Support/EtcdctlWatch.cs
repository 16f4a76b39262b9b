using System.Diagnostics;
using System.Text;

namespace Etcd.Specs.Support;

/// <summary>
/// A running `etcdctl watch` (it never exits by itself while its watch lives), or any other etcdctl command that runs
/// until stopped (`lease keep-alive`): collects what it prints, lets a spec wait for a line, and is stopped by its PID.
/// Interactive watches (`watch -i`) get their commands on stdin.
/// </summary>
public sealed class EtcdctlWatch : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _p;
    private readonly List<string> _stdout = new();
    private readonly List<string> _stderr = new();
    private readonly object _gate = new();

    private EtcdctlWatch(System.Diagnostics.Process p)
    {
        _p = p;
    }

    public static EtcdctlWatch Start(string endpoint, bool interactive, params string[] args) =>
        StartCommand(endpoint, interactive, ["watch", .. interactive ? ["-i"] : Array.Empty<string>(), .. args]);

    /// <summary>Any etcdctl command that runs until stopped (`lease keep-alive ID` too), with stdin when <paramref name="withStdin"/>.</summary>
    public static EtcdctlWatch StartCommand(string endpoint, bool withStdin, params string[] args)
    {
        var interactive = withStdin;
        var psi = new ProcessStartInfo("etcdctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = interactive,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + endpoint);
        psi.ArgumentList.Add("--dial-timeout=5s");
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new System.Diagnostics.Process { StartInfo = psi };
        var w = new EtcdctlWatch(p);
        p.OutputDataReceived += (_, e) => w.Add(w._stdout, e.Data);
        p.ErrorDataReceived += (_, e) => w.Add(w._stderr, e.Data);
        if (!p.Start()) throw new InvalidOperationException("could not start etcdctl");
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return w;
    }

    public IReadOnlyList<string> Stdout
    {
        get { lock (_gate) return _stdout.ToList(); }
    }

    public IReadOnlyList<string> Stderr
    {
        get { lock (_gate) return _stderr.ToList(); }
    }

    public async Task SendLineAsync(string line)
    {
        await _p.StandardInput.WriteLineAsync(line);
        await _p.StandardInput.FlushAsync();
    }

    /// <summary>Waits until stdout holds <paramref name="line"/> <paramref name="times"/> times (polled: the output arrives on its own threads).</summary>
    public async Task WaitForAsync(string line, int times = 1, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (Stdout.Count(l => l == line) < times)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"etcdctl watch did not print \"{line}\" {times} times; stdout:\n{string.Join('\n', Stdout)}\nstderr:\n{string.Join('\n', Stderr)}");
            if (_p.HasExited) await Task.Delay(100); // let the last lines arrive, then the deadline decides
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until stdout holds at least <paramref name="count"/> lines; returns them.</summary>
    public async Task<IReadOnlyList<string>> WaitForLinesAsync(int count, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (Stdout.Count < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"etcdctl printed fewer than {count} lines; stdout:\n{string.Join('\n', Stdout)}\nstderr:\n{string.Join('\n', Stderr)}");
            await Task.Delay(50);
        }
        return Stdout;
    }

    /// <summary>Waits for etcdctl to exit by itself (bounded); returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        await _p.WaitForExitAsync().WaitAsync(within);
        _p.WaitForExit(); // the redirected output drained
        return _p.ExitCode;
    }

    /// <summary>SIGKILL by PID, then waits for the exit (etcdctl's keep-alive and watch run until stopped).</summary>
    public async Task StopAsync()
    {
        if (_p.HasExited) return;
        Signals.Send(_p.Id, Signals.SIGKILL);
        await _p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private void Add(List<string> into, string? line)
    {
        if (line is null) return;
        lock (_gate) into.Add(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_p.HasExited)
        {
            Signals.Send(_p.Id, Signals.SIGKILL);
            await _p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        _p.Dispose();
    }
}
