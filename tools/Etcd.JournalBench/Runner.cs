using System.Diagnostics;

namespace Etcd.JournalBench;

/// <summary>Runs one mode on its own fresh journal: warm-up writes, then the measured ones, one at a time.</summary>
internal static class Runner
{
    public static async Task<ModeResult> RunAsync(string mode, Options options, JournalRow row)
    {
        using var journal = new TempJournal();
        IWriteMode writer = mode switch
        {
            "plugin" => new PluginMode(journal.Path, row),
            "raw-pooled" => new RawPooledMode(journal.Path, row),
            "raw-kept" => new RawKeptMode(journal.Path, row),
            "raw-async-hop" => new RawAsyncHopMode(journal.Path, row),
            _ => throw new ArgumentException($"unknown mode '{mode}' (plugin, raw-pooled, raw-kept, raw-async-hop)"),
        };
        ModeResult result;
        await using (writer.ConfigureAwait(false))
        {
            long sequenceNr = 0;
            // Warm-up: JIT to tier 1, the pool's connections, the plugin's first-use initialisation.
            for (var i = 0; i < options.Warmup; i++) await writer.WriteAsync(++sequenceNr).ConfigureAwait(false);
            // A collection now rather than in the middle of another mode's measurement.
            GC.Collect();
            GC.WaitForPendingFinalizers();

            var ticks = new long[options.Writes];
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            for (var i = 0; i < ticks.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await writer.WriteAsync(++sequenceNr).ConfigureAwait(false);
                ticks[i] = Stopwatch.GetTimestamp() - start;
            }
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            result = new ModeResult(mode, ticks, cpu);
            if (writer is PluginMode plugin) Console.WriteLine($"  {mode}: {plugin.ConnectionSummary}");
        }
        var rows = journal.Rows();
        if (rows != options.Warmup + options.Writes)
            throw new InvalidOperationException($"{mode}: {rows} journal rows on disk, expected {options.Warmup + options.Writes}");
        return result;
    }
}
