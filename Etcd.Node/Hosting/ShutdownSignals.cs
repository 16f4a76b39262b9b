using System.Runtime.InteropServices;
using Etcd.Node.Logging;

namespace Etcd.Node.Hosting;

/// <summary>
/// SIGINT and SIGTERM start a graceful stop (etcd: "received terminated signal, shutting down...").
/// A second signal while stopping is left to the runtime's default, which ends the process at once.
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly Capnslog _log;

    public ShutdownSignals(Capnslog log)
    {
        _log = log;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Cancelled on the first SIGINT or SIGTERM.</summary>
    public CancellationToken Stopping => _stop.Token;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested) return;
        context.Cancel = true;
        _log.Notice("pkg/osutil", $"received {(context.Signal == PosixSignal.SIGINT ? "interrupt" : "terminated")} signal, shutting down...");
        // Off the signal thread: cancellation runs continuations inline.
        _ = Task.Run(_stop.Cancel);
    }
}
