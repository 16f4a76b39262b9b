using System.Diagnostics;
using Etcd.Benchmark;

// Exit codes: 0 all requests succeeded, 1 errors / timeout / no connection, 2 usage error.
var parsed = ArgParser.Parse(args);
if (parsed.HelpRequested)
{
    Console.WriteLine(ArgParser.Usage);
    return 0;
}
if (parsed.Options is not { } o)
{
    Console.Error.WriteLine($"error: {parsed.Error}");
    Console.Error.WriteLine(ArgParser.Usage);
    return 2;
}

int seed = o.Seed ?? Random.Shared.Next();
var build = Stopwatch.StartNew();
var workload = Workload.Create(o, seed);
Console.WriteLine($"{workload.Description}");
Console.WriteLine(
    $"endpoints={string.Join(',', o.Endpoints)} conns={o.Conns} clients={o.Clients} total={o.Total} " +
    $"max-seconds={o.MaxSeconds} seed={seed} (requests built in {build.ElapsedMilliseconds} ms)");

if (o.KillPid is { } pid && !Failover.IsRunning(pid))
{
    Console.Error.WriteLine($"error: --kill-pid {pid} is not a running process");
    return 1;
}

using var runner = new Runner(o);
if ((await runner.ConnectAsync() ?? await runner.WarmUpAsync()) is { } connectError)
{
    Console.Error.WriteLine($"error: {connectError}");
    Console.WriteLine(Report.ResultLine(new RunResult(
        o.OpName, o.Total, LatencyStats.FromMilliseconds([]), 0, [(connectError, 1)], 0, true)));
    return 1;
}

if (o.Command == BenchCommand.Failover)
{
    return await Failover.RunAsync(o, runner, (PutWorkload)workload);
}

var result = await runner.RunAsync(workload);
Console.WriteLine(Report.Format(result));
return result.Errors == 0 && !result.TimedOut ? 0 : 1;
