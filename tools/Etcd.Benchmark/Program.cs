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
Console.WriteLine(o.Command == BenchCommand.Watch
    ? $"watch watchers={o.Watchers} streams={o.Streams} watch-prefix={o.WatchPrefix} drain-timeout={o.DrainSeconds} val-size={o.ValSize}"
    : workload.Description);
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
if (o.Command == BenchCommand.Watch)
{
    return await WatchBench.RunAsync(o, runner, seed);
}

if (await workload.PrepareAsync(runner) is { } prepareError)
{
    Console.Error.WriteLine($"error: {prepareError}");
    Console.WriteLine(Report.ResultLine(new RunResult(
        o.OpName, o.Total, LatencyStats.FromMilliseconds([]), 1, [(prepareError, 1)], 0, true)) + $" {Report.ErrorField(prepareError)}");
    await workload.CleanupAsync(runner);
    return 1;
}

// put --idle-watchers: registered (and confirmed) before the clock starts, open until it stops.
WatchStreams? idle = null;
if (o.IdleWatchers > 0)
{
    var (streams, idleError) = await WatchBench.OpenIdleAsync(o);
    if (streams is null)
    {
        Console.Error.WriteLine($"error: {idleError}");
        Console.WriteLine($"RESULT op={o.OpName} idle_watchers={o.IdleWatchers} {Report.ErrorField(idleError ?? "?")}");
        return 1;
    }
    idle = streams;
    Console.WriteLine($"idle-watchers={o.IdleWatchers} over {Math.Min(o.Streams, o.IdleWatchers)} streams, all created");
    using var readyDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(o.MaxSeconds));
    if (!await WatchBench.ReadyHandshakeAsync(o, o.IdleWatchers, readyDeadline.Token))
    {
        await idle.DisposeAsync();
        Console.WriteLine($"RESULT op={o.OpName} idle_watchers={o.IdleWatchers} {Report.ErrorField($"--ready-file {o.ReadyFile} was not deleted within --max-seconds")}");
        return 1;
    }
}

var result = await runner.RunAsync(workload);
string idleNote = "";
if (idle is not null)
{
    await idle.DisposeAsync();
    long events = idle.Logs.Sum(l => l.Overflow + l.Count);
    idleNote = $" idle_watchers={o.IdleWatchers} idle_watch_errors={idle.Errors.Count + events}";
    foreach (var e in idle.Errors.Take(Report.MaxErrorsShown))
    {
        Console.Error.WriteLine($"idle watch error: {e}");
    }
    if (events > 0)
    {
        Console.Error.WriteLine($"idle watch error: idle watchers received {events} events on keys nobody wrote");
    }
}
Console.WriteLine(Report.Format(result) + idleNote);
if (await workload.CleanupAsync(runner) is { } note)
{
    Console.WriteLine(note);
}
bool idleOk = idle is null || idleNote.EndsWith(" idle_watch_errors=0", StringComparison.Ordinal);
return result.Errors == 0 && !result.TimedOut && idleOk ? 0 : 1;
