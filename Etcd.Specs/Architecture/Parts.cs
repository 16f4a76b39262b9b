namespace Etcd.Specs.Architecture;

/// <summary>
/// The parts of Etcd.Actors (one namespace each, <c>Etcd.Actors.&lt;Name&gt;</c>) and the arrows allowed between them.
/// A part may use only itself and the parts listed in <see cref="Part.MayUse"/>; every other part of the library is
/// off limits to it (enforced by <see cref="ArchitectureSpecs"/>). The arrows point one way: the pure cores at the
/// bottom, the actors above them, the server facade (<c>Server</c>) on top, and the gRPC edge (Etcd.Node) above
/// everything. Adding a part or an arrow is a design decision: make it here, with a reason.
/// </summary>
public static class Parts
{
    public const string Library = "Etcd.Actors";

    /// <summary>One part: its namespace under <see cref="Library"/>, what it may use, and whether it exists yet.</summary>
    public sealed record Part(string Name, string[] MayUse, bool Planned = false)
    {
        public string Namespace => $"{Library}.{Name}";
    }

    public static readonly IReadOnlyList<Part> All =
    [
        // ---- pure cores: no Akka, no gRPC, no clock, no randomness, no I/O (see ArchitectureSpecs) ----
        // etcd-io/raft: knows nothing but its own raftpb messages.
        new("Raft.Core", []),
        // etcd's mvcc: keys, revisions, the tree index, the backend interface; refusals are domain errors.
        new("Mvcc.Core", ["Errors"]),
        // etcd's membership: the member table decides through the Raft core's ClusterConfig.Apply.
        new("Cluster.Core", ["Raft.Core", "Errors"]),
        // etcd's alarm store (etcdserver/api/v3alarm) and the corrupt/capped appliers' refusals.
        new("Alarm.Core", ["Errors"]),
        // etcd's corrupt.go decisions (CheckInitialHashKV, checkHashKV), on samples the shell gathers.
        new("Corruption.Core", ["Errors"]),
        // etcd's v3compactor decisions (periodic and revision policies), with time and revisions as inputs.
        // GoDurations (Configuration) formats the retention as etcd logs it.
        new("Compactor.Core", ["Configuration"]),
        // etcd's watchableStore: watcher groups, synced/unsynced, victims, over mvccpb events and the MVCC core's key order.
        new("Watch.Core", ["Mvcc.Core", "Errors"]),
        // etcd's lessor: the applied lease table (LeaseTable) and the time side (Lessor), which takes the time as a
        // number from its caller; keys are protobuf ByteStrings, no etcdserverpb message.
        new("Lease.Core", ["Errors"]),
        // etcd's auth store, range_perm_cache and simple tokens: users, roles, permissions and the auth revision as a
        // state machine applied from Raft; time, randomness and password hashing come in from the caller.
        new("Auth.Core", ["Errors"]),

        // ---- shared leaves ----
        // etcd's rpctypes/errors: the catalogue of etcd's errors as domain values; gRPC status is the edge's.
        new("Errors", []),
        // etcd's pkg/wait: registered by the facade, completed by the store, failed by Raft.
        new("Wait", ["Errors"]),
        // Reading reference.conf and validated settings values (SettingsReader): every part's Settings.Create uses it;
        // and Go's duration syntax (GoDurations), shared by the command line, the compactor and the JWT options.
        new("Configuration", []),
        // Akka serializer and journal/SQLite plumbing (its HOCON is embedded .conf, read through Configuration): knows
        // messages, not the actors that send them.
        new("Serialization", ["Configuration"]),
        // Our Akka.Remote transport under the peer port (member.conf's transport-class): moves framed bytes between
        // members, below Akka.Remote's handshake and our peer serializers; knows no message and no actor.
        new("Peer.Transport", ["Serialization", "Peer"]),
        // The members' peer addresses as this member knows them (PeerMemberAddresses): the store (Mvcc) and the node
        // (Server) publish them, the transport reads them (its global inbound bounds spare members, issue 10's review).
        new("Peer", []),
        // Akka's scheduler for a member (member.conf's akka.scheduler.implementation): a deadline queue under every
        // Akka timer; knows no message and no actor of ours.
        new("Scheduling", []),

        // ---- logic between the cores and the actors ----
        // etcd's apply + request validation: turns committed requests into MVCC/membership calls.
        // Auth entries go to the auth core; tokens an Authenticate entry makes go to the member's AuthGate (Auth).
        new("Apply", ["Mvcc.Core", "Cluster.Core", "Lease.Core", "Alarm.Core", "Auth.Core", "Auth", "Errors"]),
        // Bootstrap helpers for membership (initial cluster, member ids).
        new("Cluster", ["Cluster.Core", "Raft.Core", "Errors"]),

        // ---- actors ----
        // MvccStoreActor: applies committed entries, serves reads, completes waiters; hands changes to the watch hub.
        // It persists the auth state (Auth.Core's rows) and publishes it to the member's AuthGate (Auth).
        new("Mvcc", ["Mvcc.Core", "Apply", "Cluster.Core", "Alarm.Core", "Errors", "Wait", "Serialization", "Configuration", "Watch", "Watch.Core", "Lease.Core",
            "Auth.Core", "Auth", "Peer"]),
        // RaftActor: drives the core, persists, sends; tells MvccStoreActor what committed (MvccProtocol), validates
        // forwarded proposals with the edge's validator (Apply), fails waiters; leader duties drive lease expiry.
        // (Lease and Lease.Core were planned here for "leader duties drive lease expiry"; the lease manager learns
        // leadership from RaftActor's LeaderChanged event instead, so the arrow points from Lease to Raft.)
        new("Raft", ["Raft.Core", "Mvcc", "Apply", "Cluster", "Cluster.Core", "Errors", "Wait", "Serialization", "Configuration"]),
        // WatchHubActor / WatchStreamActor and the stream's outbox; the store is reached only by messages (WatchProtocol).
        new("Watch", ["Watch.Core", "Mvcc.Core", "Errors"]),
        // LeaseManagerActor: follows the applied lease table the store tells it (Mvcc's MvccLeaseProtocol), learns
        // leadership from RaftActor's LeaderChanged and proposes revocations and checkpoints through it (Raft), reads
        // its flag (Configuration); forwards keep-alives to the leader's lease manager through PeerDirectory (Raft).
        new("Lease", ["Lease.Core", "Errors", "Mvcc", "Raft", "Configuration"]),
        // CompactorActor: the auto compactor's timer shell. It proposes through an ICompactionTarget the facade
        // implements (etcd's Compactable/RevGetter), so it knows neither Raft nor the store; "compacted" is an Errors value.
        new("Compactor", ["Compactor.Core", "Errors", "Configuration"]),

        // The auth core's outside: bcrypt (BCrypt.Net-Next), the cryptographic token letters, JWT tokens (IdentityModel),
        // and the member's AuthGate (the applied state the edge reads, the token table), whose answers are Errors values.
        // The JWT ttl option is a Go duration, parsed by Configuration's GoDurations (pure, with Go's error wording).
        new("Auth", ["Auth.Core", "Errors", "Configuration"]),

        // ---- the facade: builds the actor tree, the only part that knows them all ----
        new("Server", ["Raft.Core", "Raft", "Mvcc.Core", "Mvcc", "Cluster.Core", "Cluster", "Apply", "Errors", "Wait",
            "Serialization", "Configuration", "Alarm.Core", "Corruption", "Corruption.Core", "Watch.Core", "Watch", "Lease.Core", "Lease",
            "Compactor", "Compactor.Core", "Auth.Core", "Auth", "Peer"]),
        // etcd's corrupt.go lives in package etcdserver: the corruption checks are the facade's own work (the
        // initial check before the tree starts, the leader's periodic check through EtcdServer), in a folder of
        // their own. Facade and checks are one layer, so each may use the other; nothing below uses either.
        new("Corruption", ["Corruption.Core", "Server", "Raft", "Mvcc", "Mvcc.Core", "Cluster.Core", "Errors", "Configuration"]),
    ];

    /// <summary>
    /// Cores that may use etcd's wire messages of etcdserverpb (the API's requests and responses), each with why.
    /// All other cores may not: they speak their own types (Raft.Core speaks only raftpb).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> CoresUsingApiMessages = new Dictionary<string, string>
    {
        // etcd's mvcc takes its own types (Range(key, end, RangeOptions), Put(key, value, lease)) and etcdserver's
        // apply translates; ours takes and answers etcdserverpb's Range/Put/DeleteRange/Txn/Compaction messages,
        // and evaluates Txn compares itself. Giving it its own types means moving Txn evaluation into Apply and
        // rewriting KvStore's API and its eleven spec files: not worth it while nothing but Apply calls it; do it
        // when a second caller (watch's or lease's apply) needs the store without a request message.
        ["Mvcc.Core"] = "KvStore takes and answers etcdserverpb KV messages (etcd's mvcc takes its own types)",
        // The member table converts to and from etcdserverpb.Member, which is also its persisted and peer form.
        // etcd's alarm store keeps etcdserverpb.AlarmMember, which is also the Alarm RPC's form.
        ["Alarm.Core"] = "AlarmTable keeps etcdserverpb.AlarmMember (the Alarm RPC's form, as etcd's v3alarm does)",
        // The verdicts read peers' HashKV answers as they come (PeerHashKVResponse), as etcd's corrupt.go does.
        ["Corruption.Core"] = "CorruptionVerdict reads peers' HashKV answers in their wire form",
        ["Cluster.Core"] = "MemberTable converts to/from etcdserverpb.Member (its persisted and peer form)",
        // etcd persists users and roles as marshalled authpb.User / authpb.Role in its authUsers / authRoles buckets;
        // the state itself is the core's own records, and only the codec speaks authpb.
        ["Auth.Core"] = "AuthStateCodec persists users and roles as authpb.User / authpb.Role, etcd's bucket values",
    };
}
