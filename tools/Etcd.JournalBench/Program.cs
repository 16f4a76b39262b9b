using Etcd.JournalBench;

// One-at-a-time durable writes of a Raft journal row, through Akka.Persistence.Sql as a member writes it and through
// Microsoft.Data.Sqlite directly, each mode on a fresh database file (README.md says how to read the table).
Options options;
try
{
    options = Options.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine("usage: Etcd.JournalBench [--modes plugin,raw-pooled,raw-kept,raw-async-hop] [--writes 3000] [--warmup 10000] [--payload 350]");
    return 2;
}

var row = new JournalRow(options.Payload);
Console.WriteLine($"writes {options.Writes} after {options.Warmup} warm-up, event {row.Event(options.Warmup + 1).CalculateSize()} bytes, " +
    $"{Environment.ProcessorCount} cores, temp dir {Path.GetTempPath()}");
var results = new List<ModeResult>();
foreach (var mode in options.Modes)
{
    var result = await Runner.RunAsync(mode, options, row);
    Console.WriteLine(result.Row());
    results.Add(result);
}
Console.WriteLine();
Console.WriteLine(ModeResult.Header);
foreach (var result in results) Console.WriteLine(result.Row());
return 0;
