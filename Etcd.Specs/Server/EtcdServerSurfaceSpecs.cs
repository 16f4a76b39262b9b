using System.Reflection;
using Etcd.Actors.Server;
using Xunit;

namespace Etcd.Specs.Server;

/// <summary>
/// What the facade offers the gRPC edge: calls that etcd checks under auth (CVE-2026-33413) take the caller's token,
/// so the edge cannot bind an unchecked overload by leaving the token out. The member's own unchecked calls (the
/// corruption monitor's MemberList and CORRUPT alarm) are internal.
/// </summary>
public sealed class EtcdServerSurfaceSpecs
{
    [Theory]
    [InlineData("MemberListAsync")]
    [InlineData("AlarmAsync")]
    [InlineData("CompactAsync")]
    [InlineData("MoveLeaderAsync")]
    public void Every_public_overload_of_a_checked_call_takes_the_callers_token(string name)
    {
        var overloads = typeof(EtcdServer).GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => m.Name == name).ToList();
        Assert.NotEmpty(overloads);
        Assert.All(overloads, m => Assert.Contains(m.GetParameters(), p => p.Name == "token" && p.ParameterType == typeof(string)));
    }
}
