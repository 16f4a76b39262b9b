using System.Net;
using System.Net.Sockets;

namespace Etcd.Specs.Support;

/// <summary>Free loopback ports, handed out once each per test run so parallel specs never collide.</summary>
public static class FreePort
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Given.Add(port)) return port;
            }
        }
        throw new InvalidOperationException("no free loopback port after 100 attempts");
    }
}
