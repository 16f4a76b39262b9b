using System.Net;
using System.Net.Sockets;

namespace Etcd.Specs.Support;

/// <summary>
/// Free loopback ports for processes a spec starts, handed out once each per test run.
/// </summary>
/// <remarks>
/// The ports come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768–60999 on Linux by
/// default), never from it. A port the kernel picked for us (bind to 0) is an ephemeral one: between our check and
/// the node's own bind, any outgoing connection on the machine (etcdctl, a gRPC channel, Akka.Remote) may be given
/// it as its local port, and the node then fails with "address already in use". That happened once in ten
/// concurrent CI runs. Below the range only another listener can take a port, so the pick is random (two suites
/// running at once rarely meet) and checked by binding it.
/// </remarks>
public static class FreePort
{
    private const int Low = 10_000;
    private const int High = 32_000;
    private static readonly HashSet<int> Given = [];
    private static readonly Random Pick = new();

    public static int Next()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Pick.Next(Low, High);
                // The ports etcd's docs and our Procfile use (2379/2380 and their 12379, 22380, ... relatives).
                if (port % 10_000 is >= 2379 and <= 2381) continue;
                if (Given.Contains(port) || !CanBind(port)) continue;
                Given.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in {Low}..{High} after 1000 attempts");
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
