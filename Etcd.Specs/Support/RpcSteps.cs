using Grpc.Core;
using Xunit.Abstractions;

namespace Etcd.Specs.Support;

/// <summary>
/// The steps of a gRPC session run against etcd 3.4.23 and against ours, each recorded as <c>ok &lt;result&gt;</c> or
/// <c>&lt;Code&gt;: &lt;detail&gt;</c>, in two lists: the steps compared with etcd 3.4.23 (<see cref="Compared"/>), and
/// those asserted against a later etcd fix the 3.4.23 here predates (<see cref="Fixed"/>), whose 3.4.23 answer is only
/// printed (<see cref="PrintFixes"/>).
/// </summary>
public sealed class RpcSteps
{
    public List<(string, string)> Compared { get; } = [];
    public List<(string, string)> Fixed { get; } = [];

    public Task Same(string name, Func<Task<string>> call) => StepAsync(Compared, name, call);

    public Task Fix(string name, Func<Task<string>> call) => StepAsync(Fixed, name, call);

    /// <summary>Each fixed step with etcd 3.4.23's answer and ours, under <paramref name="heading"/>.</summary>
    public static void PrintFixes(ITestOutputHelper output, string heading, IReadOnlyList<(string, string)> etcd, IReadOnlyList<(string, string)> ours)
    {
        output.WriteLine(heading);
        for (var i = 0; i < ours.Count; i++)
            output.WriteLine($"{ours[i].Item1}\n  etcd 3.4.23: {etcd[i].Item2}\n  ours: {ours[i].Item2}");
    }

    private static async Task StepAsync(List<(string, string)> into, string name, Func<Task<string>> call)
    {
        string result;
        try { result = "ok " + await call(); }
        catch (RpcException e) { result = $"{e.StatusCode}: {e.Status.Detail}"; }
        into.Add((name, result));
    }
}
