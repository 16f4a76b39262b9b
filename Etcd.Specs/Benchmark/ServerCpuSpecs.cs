using Etcd.Benchmark;
using Xunit;

namespace Etcd.Specs.Benchmark;

public sealed class ServerCpuSpecs
{
    [Fact]
    public void Utime_and_stime_are_read_after_the_command_name_even_with_spaces_and_parentheses()
    {
        const string stat = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194560 9000 0 12 0 1234 567 0 0 20 0 30 0 100 0 0";
        Assert.Equal(1234 + 567, ServerCpu.ParseTicks(stat));
        Assert.Null(ServerCpu.ParseTicks("4242 (dotnet) S 1"));
        Assert.Null(ServerCpu.ParseTicks(null));
    }

    [Fact]
    public void The_result_fields_give_milliseconds_and_microseconds_per_operation()
    {
        Assert.Equal(" server_cpu_ms=1500 server_cpu_us_per_op=75.0", ServerCpu.Fields(10.0, 11.5, 20000));
        Assert.Equal("", ServerCpu.Fields(null, 11.5, 20000));
    }

    [Fact]
    public void This_process_cpu_time_can_be_read()
    {
        Assert.NotNull(ServerCpu.ReadSeconds([Environment.ProcessId]));
        Assert.Null(ServerCpu.ReadSeconds([]));
    }

    [Theory]
    [InlineData("12,34", new[] { 12, 34 })]
    [InlineData("7", new[] { 7 })]
    public void Server_pids_are_parsed(string list, int[] expected) =>
        Assert.Equal(expected, ArgParser.Parse(["--server-pids", list, "put"]).Options!.ServerPids);

    [Theory]
    [InlineData("0")]
    [InlineData("x")]
    [InlineData(",")]
    public void Bad_server_pids_are_usage_errors(string list) =>
        Assert.NotNull(ArgParser.Parse(["--server-pids", list, "put"]).Error);
}
