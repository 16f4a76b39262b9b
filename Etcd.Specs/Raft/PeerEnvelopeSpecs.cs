using System.Diagnostics;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Raft;

/// <summary>
/// The pieces of the peer port's check without a cluster: the envelope verdicts, the rate-limited warning table,
/// the serializers (protobuf only, JSON refused), and what the envelope costs on the wire.
/// </summary>
public sealed class PeerEnvelopeSpecs(ITestOutputHelper output)
{
    private const ulong Cluster = 0xc1, Me = 0xa, Peer = 0xb;

    [Fact]
    public void An_envelope_is_accepted_only_for_our_cluster_and_this_member_with_a_body()
    {
        var ping = new PeerPing { From = Peer };
        Assert.Equal(PeerVerdict.Accepted, PeerTrust.Check(new PeerEnvelope { ClusterId = Cluster, To = Me, From = Peer, Ping = ping }, Cluster, Me));
        Assert.Equal(PeerVerdict.ClusterMismatch, PeerTrust.Check(new PeerEnvelope { ClusterId = Cluster + 1, To = Me, From = Peer, Ping = ping }, Cluster, Me));
        Assert.Equal(PeerVerdict.WrongRecipient, PeerTrust.Check(new PeerEnvelope { ClusterId = Cluster, To = Peer, From = Peer, Ping = ping }, Cluster, Me));
        Assert.Equal(PeerVerdict.NoBody, PeerTrust.Check(new PeerEnvelope { ClusterId = Cluster, To = Me, From = Peer }, Cluster, Me));
    }

    [Fact]
    public void An_envelope_that_names_this_member_as_its_sender_is_refused_whatever_it_carries()
    {
        var ping = new PeerEnvelope { ClusterId = Cluster, To = Me, From = Me, Ping = new PeerPing { From = Me } };
        var raft = new PeerEnvelope { ClusterId = Cluster, To = Me, From = Me, Raft = new Message { Type = MessageType.MsgTimeoutNow, To = Me, From = Me, Term = 3 } };
        var forwarded = new PeerEnvelope { ClusterId = Cluster, To = Me, From = Me, Forwarded = new ForwardedProposals { From = Me } };
        foreach (var e in new[] { ping, raft, forwarded }) Assert.Equal(PeerVerdict.FromSelf, PeerTrust.Check(e, Cluster, Me));
    }

    /// <summary>
    /// What a member's core sends (RaftNode.Send stamps a term on all of it) passes; what only our own core steps
    /// does not: etcd-io/raft's local messages, MsgProp (members forward proposals as ForwardedProposals), and any
    /// message without a term (RaftNode.Step skips the term checks for those).
    /// </summary>
    [Fact]
    public void Raft_messages_only_our_own_core_steps_are_refused_from_the_network()
    {
        PeerVerdict Check(MessageType type, ulong term = 5, ulong from = Peer, ulong to = Me) =>
            PeerTrust.Check(new PeerEnvelope { ClusterId = Cluster, To = Me, From = Peer, Raft = new Message { Type = type, To = to, From = from, Term = term } }, Cluster, Me);

        var local = new[] { MessageType.MsgHup, MessageType.MsgBeat, MessageType.MsgProp, MessageType.MsgUnreachable, MessageType.MsgSnapStatus, MessageType.MsgCheckQuorum };
        foreach (var type in Enum.GetValues<MessageType>())
        {
            Assert.Equal(local.Contains(type), PeerTrust.IsLocalOnly(type));
            Assert.Equal(local.Contains(type) ? PeerVerdict.LocalOnly : PeerVerdict.Accepted, Check(type));
            Assert.Equal(PeerVerdict.LocalOnly, Check(type, term: 0));
        }
        // The body names the envelope's sender and this member; a forwarded MsgTransferLeader names the transferee.
        Assert.Equal(PeerVerdict.SenderMismatch, Check(MessageType.MsgHeartbeat, from: Me));
        Assert.Equal(PeerVerdict.SenderMismatch, Check(MessageType.MsgHeartbeat, from: Peer + 1));
        Assert.Equal(PeerVerdict.SenderMismatch, Check(MessageType.MsgHeartbeat, to: Peer));
        Assert.Equal(PeerVerdict.Accepted, Check(MessageType.MsgTransferLeader, from: Peer + 1));
        Assert.Equal(PeerVerdict.Accepted, Check(MessageType.MsgTransferLeader, from: Me));
    }

    [Fact]
    public void Warnings_are_one_per_sender_per_interval_and_the_table_stays_bounded()
    {
        var now = TimeSpan.Zero;
        var warnings = new PeerWarnings(TimeSpan.FromSeconds(30), capacity: 4, () => now);
        Assert.True(warnings.ShouldWarn("a", out var suppressed));
        Assert.Equal(0, suppressed);
        for (var i = 0; i < 100; i++) Assert.False(warnings.ShouldWarn("a", out _));
        Assert.True(warnings.ShouldWarn("b", out _));

        now = TimeSpan.FromSeconds(31);
        Assert.True(warnings.ShouldWarn("a", out suppressed));
        Assert.Equal(100, suppressed);

        // Many senders: at most capacity + 1 entries (the overflow one), and the overflow warns once per interval.
        var warned = 0;
        for (var i = 0; i < 1000; i++)
            if (warnings.ShouldWarn($"s{i}", out _)) warned++;
        Assert.True(warnings.Count <= 5, $"{warnings.Count} entries");
        Assert.Equal(4, warned); // two free slots, the slot of "b" (quiet for an interval), then one overflow warning
        now = TimeSpan.FromSeconds(62);
        Assert.True(warnings.ShouldWarn("late", out _));
    }

    [Fact]
    public void Peer_types_are_known_to_the_protobuf_serializer_before_first_use_and_json_is_refused_both_ways()
    {
        Assert.True(ProtobufSerializer.IsRegistered(PeerEnvelope.Descriptor.FullName));
        var config = ConfigurationFactory.ParseString(RaftHocon.PeerPort).WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization));
        using var system = ActorSystem.Create("peer-envelope-specs", config);
        // Akka's fallback for types without a binding is now the refusing one, and bytes tagged as JSON (id 1) are refused.
        var json = Assert.IsType<RefusingSerializer>(system.Serialization.FindSerializerFor(new Tick(1)));
        Assert.Equal(1, json.Identifier);
        Assert.Throws<SerializationException>(() => json.ToBinary(new Tick(1)));
        Assert.IsType<RefusedPeerMessage>(system.Serialization.Deserialize("{\"N\":1}"u8.ToArray(), 1, typeof(Tick).AssemblyQualifiedName));
        var envelope = new PeerEnvelope { ClusterId = Cluster, To = Me, From = Peer, Ping = new PeerPing { From = Peer } };
        var ser = Assert.IsType<ProtobufSerializer>(system.Serialization.FindSerializerFor(envelope));
        Assert.Equal(envelope, ser.FromBinary(ser.ToBinary(envelope), ser.Manifest(envelope)));
    }

    private sealed record Tick(int N);

    /// <summary>What the envelope adds per message: measured, printed, and bounded (three varints and a length prefix).</summary>
    [Fact]
    public void The_envelope_costs_a_few_bytes_per_message_and_no_copy_of_the_entries()
    {
        var ids = (Cluster: 0x9fe41b49878fcf0cUL, To: 0xd3b9643a1ff4d5a4UL, From: 0x265d0ccbb5cf42a4UL);
        var heartbeat = new Message { Type = MessageType.MsgHeartbeat, To = ids.To, From = ids.From, Term = 7, Commit = 123_456 };
        var app = new Message { Type = MessageType.MsgApp, To = ids.To, From = ids.From, Term = 7, LogTerm = 7, Index = 123_400, Commit = 123_456 };
        var payload = ByteString.CopyFrom(new byte[64]);
        for (var i = 0; i < 100; i++) app.Entries.Add(new Entry { Term = 7, Index = 123_401 + (ulong)i, Data = payload });
        foreach (var (name, m) in new[] { ("MsgHeartbeat", heartbeat), ("MsgApp, 100 entries of 64 B", app) })
        {
            var bare = m.CalculateSize();
            var enveloped = new PeerEnvelope { ClusterId = ids.Cluster, To = ids.To, From = ids.From, Raft = m };
            var overhead = enveloped.CalculateSize() - bare;
            output.WriteLine($"{name}: {bare} B bare, +{overhead} B in the envelope");
            Assert.InRange(overhead, 1, 3 * 9 + 4); // three fixed64 fields with their tags, the body's tag and length
            Assert.Same(m, enveloped.Raft); // the body is the message itself, entries and all
        }

        // Serialization time, bare vs enveloped, alternating rounds, best of each (printed, not asserted: a busy
        // machine varies too much for a bound).
        const int rounds = 5_000;
        var wrapped = new PeerEnvelope { ClusterId = ids.Cluster, To = ids.To, From = ids.From, Raft = app };
        double bareNs = double.MaxValue, envNs = double.MaxValue;
        for (var round = 0; round < 6; round++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < rounds; i++) app.ToByteArray();
            bareNs = Math.Min(bareNs, sw.Elapsed.TotalNanoseconds / rounds);
            sw.Restart();
            for (var i = 0; i < rounds; i++) new PeerEnvelope { ClusterId = ids.Cluster, To = ids.To, From = ids.From, Raft = app }.ToByteArray();
            envNs = Math.Min(envNs, sw.Elapsed.TotalNanoseconds / rounds);
        }
        output.WriteLine($"MsgApp of 100 entries: {bareNs:F0} ns bare, {envNs:F0} ns enveloped (ToByteArray, incl. allocating the envelope; best of 6 x {rounds})");

        // What the leader's second validation of a forwarded proposal costs: parse + RequestValidator, per proposal.
        var put = new InternalRaftRequest { ID = 42, Put = new PutRequest { Key = ByteString.CopyFromUtf8("key/000042"), Value = payload } }.ToByteString();
        double validateNs = double.MaxValue;
        for (var round = 0; round < 6; round++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < rounds; i++)
                Assert.Null(Etcd.Actors.Apply.RequestValidator.ValidateProposal(InternalRaftRequest.Parser.ParseFrom(put), 128));
            validateNs = Math.Min(validateNs, sw.Elapsed.TotalNanoseconds / rounds);
        }
        output.WriteLine($"forwarded put of {put.Length} B: {validateNs:F0} ns to parse and validate again on the leader (best of 6 x {rounds})");
    }
}
