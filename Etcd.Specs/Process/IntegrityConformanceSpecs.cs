using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Grpc.Net.Client;
using Xunit;
using Xunit.Abstractions;
using AlarmAction = Etcd.Api.Etcdserverpb.AlarmRequest.Types.AlarmAction;

namespace Etcd.Specs.Process;

/// <summary>
/// The integrity surface side by side with the real etcd 3.4: the same etcdctl puts, deletes, txn and
/// compactions, then `etcdctl endpoint hashkv` (with and without --rev) must print the same hashes, the same
/// compacted revision and the same errors; the alarm commands must behave the same, including the refusal of
/// writes while CORRUPT is raised (raised through the Alarm RPC, which etcd 3.4 accepts from clients).
/// Endpoints, ids and the raft term are masked.
/// </summary>
public sealed class IntegrityConformanceSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private SideBySide _nodes = null!;

    private static readonly (string? Stdin, string[] Args)[] History =
    [
        (null, ["endpoint", "hashkv"]),
        (null, ["put", "a", "1"]),
        (null, ["put", "b", "2"]),
        (null, ["put", "a", "3"]),
        (null, ["del", "b"]),
        (null, ["put", "b", "4"]),
        ("value(\"a\") = \"3\"\n\nput c 5\ndel a\n\nput d 6\n\n", ["txn"]),
        (null, ["put", "e", "7"]),
        (null, ["put", "big", new string('v', 3000)]),
        (null, ["del", "", "--from-key", "--prev-kv=false", "--prefix=false"]),
        (null, ["put", "a", "again"]),
        (null, ["endpoint", "hashkv"]),
        (null, ["endpoint", "hashkv", "-w", "json"]),
        (null, ["endpoint", "hashkv", "--rev", "3"]),
        (null, ["endpoint", "hashkv", "--rev", "1"]),
        (null, ["endpoint", "hashkv", "--rev", "9"]),
        (null, ["endpoint", "hashkv", "--rev", "1000"]),
        (null, ["compaction", "4"]),
        (null, ["endpoint", "hashkv"]),
        (null, ["endpoint", "hashkv", "--rev", "5"]),
        (null, ["endpoint", "hashkv", "--rev", "4"]),
        (null, ["del", "c"]),
        (null, ["put", "a", "9"]),
        (null, ["compaction", "8"]),
        (null, ["endpoint", "hashkv"]),
        (null, ["endpoint", "hashkv", "--rev", "9"]),
        (null, ["compaction", "--physical", "12"]),
        (null, ["endpoint", "hashkv", "-w", "json"]),
        (null, ["alarm", "list"]),
        (null, ["alarm", "disarm"]),
    ];

    private static readonly (string? Stdin, string[] Args)[] WhileCorrupt =
    [
        (null, ["alarm", "list"]),
        (null, ["alarm", "list", "-w", "json"]),
        (null, ["put", "x", "1"]),
        (null, ["del", "a"]),
        ("\n\nput x 1\n\n", ["txn"]),
        (null, ["compaction", "13"]),
        (null, ["get", "a"]),
        (null, ["get", "a", "--consistency", "s"]),
        (null, ["endpoint", "hashkv"]),
        (null, ["alarm", "disarm"]),
        (null, ["alarm", "list"]),
        (null, ["put", "x", "1"]),
        (null, ["endpoint", "hashkv"]),
    ];

    public async Task InitializeAsync() => _nodes = await SideBySide.StartAsync("etcd-integrity-conformance");

    public async Task DisposeAsync()
    {
        if (_nodes is not null) await _nodes.DisposeAsync(); // null when the start failed
    }

    [Fact]
    public async Task Hashkv_and_alarms_print_what_etcd_prints()
    {
        await _nodes.AssertSameOutputAsync(History, output);

        // Raise CORRUPT on both through the Alarm RPC (etcdctl has no command for it).
        foreach (var endpoint in new[] { _nodes.Etcd.Endpoint, _nodes.Ours.Endpoint })
        {
            using var channel = GrpcChannel.ForAddress(endpoint);
            var response = await new Maintenance.MaintenanceClient(channel).AlarmAsync(
                new AlarmRequest { Action = AlarmAction.Activate, MemberID = 0, Alarm = AlarmType.Corrupt },
                deadline: DateTime.UtcNow.AddSeconds(10));
            output.WriteLine($"activate on {endpoint}: {response}");
        }
        await _nodes.AssertSameOutputAsync(WhileCorrupt, output);
    }
}
