using System.ComponentModel;
using System.Diagnostics;

namespace Etcd.Benchmark;

/// <summary>The failover command's I/O shell: runs the open loop, kills the process, prints the report.</summary>
public static class Failover
{
    public static async Task<int> RunAsync(BenchOptions o, Runner runner, PutWorkload workload)
    {
        Func<string?>? kill = o.KillPid is { } pid ? () => Kill(pid) : null;
        var run = await runner.RunFailoverAsync(workload, kill).ConfigureAwait(false);
        var analysis = FailoverAnalysis.Analyze(
            run.Samples, run.RunMs, run.KillMs, o.SteadyWindowSeconds * 1000, o.SteadyFraction);
        Console.WriteLine(Report.FormatFailover(run, analysis, o));
        // Errors are expected while the leader is gone; what fails the command is a failed kill, a run
        // that never reached the kill, or writes that never came back.
        bool measured = kill is null || (run.KillError is null && !double.IsNaN(analysis.FirstOkAfterKillMs));
        return measured ? 0 : 1;
    }

    public static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL (what Process.Kill sends on Unix): the member gets no chance to hand over leadership.</summary>
    private static string? Kill(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill();
            return null;
        }
        catch (ArgumentException)
        {
            return $"pid {pid} was not running at --kill-after";
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            return $"cannot kill pid {pid}: {e.Message}";
        }
    }
}
