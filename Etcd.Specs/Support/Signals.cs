using System.Runtime.InteropServices;

namespace Etcd.Specs.Support;

/// <summary>POSIX signals by PID (Process.Kill only sends SIGKILL).</summary>
public static class Signals
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    public static void Send(int pid, int signal)
    {
        if (SysKill(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastWin32Error()}");
    }
}
