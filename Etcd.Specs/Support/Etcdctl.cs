using System.Diagnostics;
using System.Text;

namespace Etcd.Specs.Support;

/// <summary>Runs the real etcdctl (API v3) against one endpoint and captures what it prints.</summary>
public static class Etcdctl
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public Result EnsureSuccess() =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"etcdctl exited {ExitCode}: {Stderr}{Stdout}");
    }

    public static async Task<Result> RunWithStdinAsync(string endpoint, string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("etcdctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + endpoint);
        psi.ArgumentList.Add("--dial-timeout=5s");
        psi.ArgumentList.Add("--command-timeout=10s");
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start etcdctl");
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"etcdctl {string.Join(' ', args)} did not finish within 30 s");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    public static Task<Result> RunAsync(string endpoint, params string[] args) => RunWithStdinAsync(endpoint, null, args);
}
