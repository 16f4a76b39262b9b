using System.Text.Json;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>Maintenance.Status as etcdctl endpoint status uses it: version, leader, raft index and term, db size.</summary>
public sealed class StatusSpecs(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    [Fact]
    public async Task Status_reports_this_member_as_leader_with_the_applied_index()
    {
        var put = await fixture.Kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("status/a"), Value = ByteString.CopyFromUtf8("1") });
        var status = await fixture.Maintenance.StatusAsync(new StatusRequest());
        Assert.Equal("3.4.23", status.Version);
        Assert.Equal(status.Header.MemberId, status.Leader);
        Assert.NotEqual(0UL, status.Header.ClusterId);
        Assert.True(status.RaftTerm >= 1);
        Assert.True(status.RaftIndex >= 2, $"raft index {status.RaftIndex}");
        Assert.Equal(status.RaftIndex, status.RaftAppliedIndex);
        Assert.True(status.DbSize > 0);
        Assert.True(status.Header.Revision >= put.Header.Revision);
    }

    [Fact]
    public async Task Etcdctl_endpoint_status_works()
    {
        var r = (await Etcdctl.RunAsync(fixture.Node.Endpoint, "endpoint", "status", "-w", "json")).EnsureSuccess();
        using var doc = JsonDocument.Parse(r.Stdout);
        var s = doc.RootElement[0].GetProperty("Status");
        Assert.Equal("3.4.23", s.GetProperty("version").GetString());
        Assert.Equal(s.GetProperty("header").GetProperty("member_id").GetUInt64(), s.GetProperty("leader").GetUInt64());
    }
}
