using System.Text.RegularExpressions;
using ArchUnitNET.Domain;
using ArchUnitNET.Domain.Dependencies;
using ArchUnitNET.Fluent;
using ArchUnitNET.Loader;
using Xunit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using ArchitectureModel = ArchUnitNET.Domain.Architecture;

namespace Etcd.Specs.Architecture;

/// <summary>
/// The arrows between the parts of Etcd.Actors (<see cref="Parts"/>), checked on the compiled assemblies with
/// ArchUnitNET: every use of a type counts (fields, signatures, calls, generic arguments), not only using-lines.
/// <list type="bullet">
/// <item>Each part uses only itself and what <see cref="Parts"/> allows it; nothing in the library uses Etcd.Node.</item>
/// <item>The pure cores (<c>*/Core</c>) know neither Akka nor gRPC and reach for no wall clock, no shared
/// randomness, no threads or tasks and no I/O: they are tested deterministically.</item>
/// <item>The library knows no gRPC status: errors are a domain catalogue (<c>Errors</c>) that the gRPC edge
/// (Etcd.Node/Services) maps to status once; actor protocols carry no gRPC response messages.</item>
/// </list>
/// </summary>
public sealed class ArchitectureSpecs
{
    private static readonly Lazy<ArchitectureModel> Model = new(() => new ArchLoader()
        .LoadAssemblies(typeof(Etcd.Actors.Errors.EtcdErrors).Assembly, typeof(Etcd.Node.Services.KvService).Assembly)
        .Build());

    private static ArchitectureModel Arch => Model.Value;

    public static TheoryData<string> PartNames() => new(Parts.All.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(PartNames))]
    public void Each_part_uses_only_the_parts_it_may(string name)
    {
        var part = Parts.All.Single(p => p.Name == name);
        var allowed = part.MayUse.Append(part.Name).ToHashSet();
        Assert.All(part.MayUse, u => Assert.Contains(u, Parts.All.Select(p => p.Name)));
        var forbidden = Parts.All.Where(p => !allowed.Contains(p.Name)).Select(p => p.Namespace).ToList();

        // No exceptions: an arrow that must be broken is a new arrow in Parts, with its reason.
        var offLimits = Types(true).That().ResideInNamespaceMatching(AnyOf(forbidden));
        var rule = Types().That().ResideInNamespace(part.Namespace).Should().NotDependOnAny(offLimits)
            .Because($"{part.Name} may use only {string.Join(", ", part.MayUse.DefaultIfEmpty("nothing else"))}");
        Check(part.Planned ? rule.WithoutRequiringPositiveResults() : rule);
    }

    [Fact]
    public void Every_type_of_the_library_lives_in_a_known_part()
    {
        // A new folder is a new part: add it to Parts with its arrows, deliberately.
        // Exact namespaces: the arrow rules match a part's namespace exactly, so a sub-namespace would escape them.
        var known = Parts.All.Select(p => p.Namespace).ToHashSet();
        var ours = Arch.Types
            .Where(t => t.Assembly.Name.StartsWith(Parts.Library + ",", StringComparison.Ordinal) || t.Assembly.Name == Parts.Library)
            .Where(t => t.Namespace.FullName.StartsWith("Etcd.", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(ours, t => t.FullName == typeof(Etcd.Actors.Raft.Core.RaftNode).FullName);
        var strays = ours
            .Where(t => !known.Contains(t.Namespace.FullName) && !t.Namespace.FullName.StartsWith("Etcd.Api.", StringComparison.Ordinal))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(strays.Count == 0, "types outside every part:\n" + string.Join('\n', strays));
    }

    [Fact]
    public void Core_parts_know_neither_akka_nor_grpc_nor_the_api_messages()
    {
        foreach (var core in Parts.All.Where(p => p.Name.EndsWith(".Core", StringComparison.Ordinal)))
        {
            var banned = Types(true).That().ResideInNamespaceMatching(@"^(Akka|Grpc)(\..*)?$");
            if (!Parts.CoresUsingApiMessages.ContainsKey(core.Name))
                banned = banned.Or().ResideInNamespaceMatching(@"^Etcd\.Api\.(Etcdserverpb|V3Lockpb|V3Electionpb|Authpb)$");
            var rule = Types().That().ResideInNamespace(core.Namespace).Should().NotDependOnAny(banned)
                .Because("a core is pure logic over its own types");
            Check(core.Planned ? rule.WithoutRequiringPositiveResults() : rule);
        }
    }

    [Fact]
    public void Core_parts_have_no_clock_randomness_threads_or_io()
    {
        foreach (var core in Parts.All.Where(p => p.Name.EndsWith(".Core", StringComparison.Ordinal)))
        {
            foreach (var rule in ImpurityRules(core.Namespace, core.Planned)) Check(rule);
        }
    }

    [Fact]
    public void The_impurity_rule_finds_what_it_bans()
    {
        // Without this the rule above could pass by matching nothing: RaftActor uses Akka, Random.Shared and
        // DateTimeOffset.UtcNow, LeaderDutiesActor DateTime.UtcNow, SnapshotReceiverActor the file system.
        var failures = ImpurityRules("Etcd.Actors.Raft", planned: false)
            .SelectMany(rule => rule.Evaluate(Arch)).Where(r => !r.Passed).Select(r => r.Description).ToList();
        var text = string.Join('\n', failures);
        Assert.Contains("RaftActor", text);
        Assert.Contains("LeaderDutiesActor", text);
        Assert.Contains("SnapshotReceiverActor", text);
        Assert.Contains("System.Random", text);
        Assert.Contains("RaftActor reads the wall clock", text);
        Assert.Contains("LeaderDutiesActor reads the wall clock", text);
    }

    [Fact]
    public void The_library_knows_no_grpc_status_and_no_service_stubs()
    {
        // Etcd.Api is the generated code (messages, client stubs, service bases); everything else in the library
        // speaks domain errors. The gRPC edge maps them to status once (Etcd.Node/Services/GrpcErrors).
        var rule = Types().That().ResideInNamespaceMatching(@"^Etcd\.Actors(\..*)?$")
            .Should().NotDependOnAny(Types(true).That().ResideInNamespaceMatching(@"^Grpc(\..*)?$")
                .Or().HaveFullNameMatching(@"^Etcd\.Api\.[\w.]+\+\w+(Base|Client)$"))
            .Because("gRPC status and services belong to the edge (Etcd.Node)");
        Check(rule);
    }

    [Fact]
    public void Actor_protocols_carry_domain_records_not_grpc_responses()
    {
        // StatusResponse and MemberListResponse are the edge's to build (as etcd's v3rpc builds them from the
        // server's state); a protocol message carries what the actor knows, as a record of its own.
        var rule = Types().That().HaveFullNameMatching(@"^Etcd\.Actors\.[\w.]+Protocol(\+.*)?$")
            .Should().NotDependOnAny(Types(true).That().HaveFullNameMatching(@"^Etcd\.Api\.Etcdserverpb\.\w+Response$"))
            .Because("the gRPC edge builds responses from domain records");
        Check(rule);
    }

    [Fact]
    public void The_edge_uses_only_the_facade_and_the_errors()
    {
        var rule = Types().That().ResideInNamespaceMatching(@"^Etcd\.Node(\..*)?$")
            .Should().NotDependOnAny(Types(true).That().ResideInNamespaceMatching(
                    @"^Etcd\.Actors\.(?!Server$|Errors$|Configuration$)[\w.]+$")
                // The parts' settings are plain records the facade's settings carry; the start-up log prints them.
                .And().DoNotHaveFullName("Etcd.Actors.Raft.RaftSettings")
                .And().DoNotHaveFullName("Etcd.Actors.Mvcc.MvccSettings")
                // A pure, bounded, rate-limited warning table (no actors): the peer TLS verifier logs refusals with
                // it, as the peer port's other refusals are logged.
                .And().DoNotHaveFullName("Etcd.Actors.Serialization.PeerWarnings")
                // --auth-token is turned into the member's JWT keys before the member starts, as the TLS files are, so
                // a bad key stops it with etcd's lines (NodeRunner): the setup, what it makes, and its one failure.
                .And().DoNotHaveFullName("Etcd.Actors.Auth.AuthTokenSetup")
                .And().DoNotHaveFullName("Etcd.Actors.Auth.JwtTokens")
                .And().DoNotHaveFullName("Etcd.Actors.Auth.Core.TokenSetupException"))
            .Because("Etcd.Node talks to the actor world only through EtcdServer");
        Check(rule);
    }

    [Fact]
    public void The_authority_fix_can_be_deleted_alone()
    {
        // Etcd.Node/AuthorityFix exists only for etcdctl before 3.5 (see AuthorityFixingMiddleware): it uses nothing
        // else of ours, and only the client listeners use it, so removing it is removing one folder and one line.
        Check(Types().That().ResideInNamespace("Etcd.Node.AuthorityFix")
            .Should().NotDependOnAny(Types(true).That().ResideInNamespaceMatching(@"^Etcd\.(?!Node\.AuthorityFix$)[\w.]+$"))
            .Because("the authority fix stands alone"));
        Check(Types().That().ResideInNamespaceMatching(@"^Etcd\.(?!Node\.AuthorityFix$)[\w.]+$")
            .And().DoNotHaveFullName("Etcd.Node.Hosting.ClientListeners")
            .Should().NotDependOnAny(Types(true).That().ResideInNamespace("Etcd.Node.AuthorityFix"))
            .Because("only the client listeners install the authority fix"));
    }

    [Fact]
    public void Library_has_no_aspnet_or_grpc_server_dependency()
    {
        var references = typeof(Etcd.Actors.Errors.EtcdErrors).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain(references, n => n!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, n => n!.StartsWith("Grpc.AspNetCore", StringComparison.Ordinal));
    }

    /// <summary>
    /// No wall clock, no shared randomness, no threads, timers or tasks, no file system, process or network: one rule
    /// on the types a part's types use, one on the clock properties they call (DateTime itself is a plain value).
    /// </summary>
    private static readonly string[] ClockReads =
        ["System.DateTime::get_Now", "System.DateTime::get_UtcNow", "System.DateTimeOffset::get_Now", "System.DateTimeOffset::get_UtcNow"];

    private static IEnumerable<IArchRule> ImpurityRules(string ns, bool planned)
    {
        const string why = "a core is deterministic: time enters as ticks or an injected TimeProvider, randomness as a seeded source";
        var types = Types().That().ResideInNamespace(ns).Should().NotDependOnAny(Types(true).That().HaveFullName("System.Random")
                .Or().HaveFullName("System.Diagnostics.Stopwatch")
                .Or().HaveFullName("System.Environment")
                .Or().HaveFullName("System.Console")
                .Or().ResideInNamespaceMatching(@"^(Akka|System\.IO|System\.Net|System\.Threading|Microsoft\.Data\.Sqlite)(\..*)?$"))
            .Because(why);
        // A call rule over MethodMembers() sees only this solution's members, so the clock reads are looked for in the
        // calls each type makes (ArchUnitNET's MethodCallDependency, target member named "<type>::<getter>").
        var clock = Types().That().ResideInNamespace(ns).Should().FollowCustomCondition(
                (IType t) => !t.Dependencies.OfType<MethodCallDependency>().Any(d => ClockReads.Any(c => d.TargetMember.FullName.Contains(c, StringComparison.Ordinal))),
                "not read the wall clock", "reads the wall clock (" + string.Join(", ", ClockReads) + ")")
            .Because(why);
        yield return planned ? types.WithoutRequiringPositiveResults() : types;
        yield return planned ? clock.WithoutRequiringPositiveResults() : clock;
    }

    private static string AnyOf(IEnumerable<string> namespaces) =>
        "^(" + string.Join('|', namespaces.Select(Regex.Escape)) + ")$";

    private static void Check(IArchRule rule)
    {
        var failures = rule.Evaluate(Arch).Where(r => !r.Passed).Select(r => r.Description).ToList();
        Assert.True(failures.Count == 0, rule.Description + "\n" + string.Join('\n', failures));
    }
}
