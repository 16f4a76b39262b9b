using System.Reflection;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Server;
using Xunit;

namespace Etcd.Specs.Server;

/// <summary>
/// Each actor has its own settings: Raft and the store take RaftSettings and MvccSettings, never the server
/// facade's EtcdServerSettings (which composes them). Before, MvccStoreActor took EtcdServerSettings and
/// RaftSettings was built from it (RaftSettings.From).
/// </summary>
public sealed class PartSettingsSpecs
{
    [Theory]
    [InlineData("Etcd.Actors.Raft")]
    [InlineData("Etcd.Actors.Mvcc")]
    public void Raft_and_the_store_never_see_the_server_settings(string ns)
    {
        var types = typeof(RaftActor).Assembly.GetTypes().Where(t => t.Namespace == ns).ToArray();
        Assert.NotEmpty(types);
        var offenders = types
            .SelectMany(t => SignatureTypes(t).Where(x => x.Type == typeof(EtcdServerSettings)).Select(x => $"{t.Name}.{x.Member}"))
            .Distinct()
            .ToArray();
        Assert.True(offenders.Length == 0, "uses EtcdServerSettings: " + string.Join(", ", offenders));
    }

    [Fact]
    public void Each_actor_takes_its_own_settings()
    {
        Assert.Contains(typeof(RaftActor).GetConstructors(), c => c.GetParameters().Any(p => p.ParameterType == typeof(RaftSettings)));
        Assert.Contains(typeof(MvccStoreActor).GetConstructors(), c => c.GetParameters().Any(p => p.ParameterType == typeof(MvccSettings)));
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<(string Member, Type Type)> SignatureTypes(Type t)
    {
        foreach (var f in t.GetFields(All)) yield return (f.Name, f.FieldType);
        foreach (var p in t.GetProperties(All)) yield return (p.Name, p.PropertyType);
        foreach (var m in t.GetMethods(All).Cast<MethodBase>().Concat(t.GetConstructors(All)))
        {
            if (m is MethodInfo mi) yield return (m.Name, mi.ReturnType);
            foreach (var p in m.GetParameters()) yield return (m.Name, p.ParameterType);
        }
    }
}
