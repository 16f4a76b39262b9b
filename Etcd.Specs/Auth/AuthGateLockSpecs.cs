using System.Collections;
using Etcd.Actors.Auth;
using Etcd.Actors.Auth.Core;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Auth;

/// <summary>
/// AuthGate.IsEachKeyPermitted (LeaseLeases checks READ on every leased key of the member, LeaseTimeToLive and
/// LeaseKeepAlive on every key of one lease) takes only the user's permissions under the gate's lock: the other checks
/// of the edge (a watch's range) do not wait while it walks the keys, however many there are.
/// </summary>
public sealed class AuthGateLockSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>A gate with auth on: root, and user u with READWRITE on <c>[key, rangeEnd)</c>.</summary>
    internal static AuthGate Gate(string key = "a", string rangeEnd = "b")
    {
        var s = new AuthStore();
        Assert.Null(s.UserAdd("root", "h:root", false));
        Assert.Null(s.UserGrantRole("root", "root"));
        Assert.Null(s.UserAdd("u", "h:u", false));
        Assert.Null(s.RoleAdd("r"));
        Assert.Null(s.RoleGrantPermission("r", KeyPermission.Of(PermissionType.ReadWrite, key, rangeEnd)));
        Assert.Null(s.UserGrantRole("u", "r"));
        Assert.Null(s.AuthEnable());
        var gate = AuthGate.Default();
        gate.Publish(s, 1);
        return gate;
    }

    [Fact]
    public async Task Other_checks_do_not_wait_while_the_keys_of_the_leases_are_checked()
    {
        var gate = Gate();
        var revision = gate.Revision;
        using var keys = new BlockingKeys([B("a1"), B("a2"), B("zz")]);
        var walk = Task.Run(() => gate.IsEachKeyPermitted("u", revision, keys, write: false));
        Assert.True(keys.Entered.Wait(Bound), "the walk reached its second key");

        var other = Task.Run(() => gate.IsRangePermitted("u", revision, B("a1"), ByteString.Empty));
        var finished = await Task.WhenAny(other, Task.Delay(Bound)) == other;
        keys.Release.Set();
        Assert.True(finished, "a range check waited for the walk over the keys");
        Assert.Null(await other);
        // The walk's answer is unchanged: "zz" is outside her permission.
        Assert.Same(Etcd.Actors.Errors.EtcdErrors.PermissionDenied, await walk.WaitAsync(Bound));
    }

    [Fact]
    public void The_answers_are_isOpPermitted_s_for_each_key()
    {
        var gate = Gate();
        var revision = gate.Revision;
        Assert.Null(gate.IsEachKeyPermitted("u", revision, [B("a"), B("a\0"), B("azz")], write: true));
        Assert.Same(Etcd.Actors.Errors.EtcdErrors.PermissionDenied, gate.IsEachKeyPermitted("u", revision, [B("a"), B("b")], write: false));
        Assert.Null(gate.IsEachKeyPermitted("root", revision, [B("b")], write: true));
        Assert.Same(Etcd.Actors.Errors.EtcdErrors.AuthOldRevision, gate.IsEachKeyPermitted("u", revision - 1, [B("a")], write: false));
        Assert.Same(Etcd.Actors.Errors.EtcdErrors.UserEmpty, gate.IsEachKeyPermitted("", revision, [B("a")], write: false));
        Assert.Same(Etcd.Actors.Errors.EtcdErrors.PermissionDenied, gate.IsEachKeyPermitted("nobody", revision, [B("a")], write: false));
        // No keys: nothing to refuse, whoever asks (etcd's loops check nothing).
        Assert.Null(gate.IsEachKeyPermitted("nobody", revision - 1, [], write: true));
    }

    [Fact]
    public void Each_key_is_answered_as_a_one_key_range_check_answers_it()
    {
        // Seeded random permissions over a small alphabet (with "\0" and the empty key), every short key compared with
        // IsRangePermitted(key, "") (etcd's isOpPermitted on [key, key + "\0")), which builds the interval the walk skips.
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        string[] alphabet = ["", "\0", "a", "b"];
        var keys = new List<string> { "" };
        for (var round = 0; round < 3; round++)
            keys = [.. keys, .. keys.SelectMany(k => alphabet.Skip(1).Select(c => k + c))];
        keys = [.. keys.Distinct()];
        for (var trial = 0; trial < 50; trial++)
        {
            var s = new AuthStore();
            Assert.Null(s.UserAdd("root", "h:root", false));
            Assert.Null(s.UserGrantRole("root", "root"));
            Assert.Null(s.UserAdd("u", "h:u", false));
            Assert.Null(s.RoleAdd("r"));
            for (var p = random.Next(1, 4); p > 0; p--)
            {
                var key = keys[random.Next(1, keys.Count)];
                var end = random.Next(3) switch { 0 => "", 1 => "\0", _ => keys[random.Next(keys.Count)] };
                var type = (PermissionType)random.Next(3);
                s.RoleGrantPermission("r", KeyPermission.Of(type, key, end)); // an invalid range is refused: fine
            }
            Assert.Null(s.UserGrantRole("u", "r"));
            Assert.Null(s.AuthEnable());
            var gate = AuthGate.Default();
            gate.Publish(s, 1);
            foreach (var key in keys)
            {
                var k = B(key);
                Assert.Equal(gate.IsRangePermitted("u", gate.Revision, k, ByteString.Empty), gate.IsEachKeyPermitted("u", gate.Revision, [k], write: false));
            }
        }
    }

    /// <summary>A key list whose enumeration stops after the first key until <see cref="Release"/> is set.</summary>
    private sealed class BlockingKeys(IReadOnlyList<ByteString> keys) : IReadOnlyList<ByteString>, IDisposable
    {
        public ManualResetEventSlim Entered { get; } = new();
        public ManualResetEventSlim Release { get; } = new();

        public int Count => keys.Count;

        public ByteString this[int index] => keys[index];

        public IEnumerator<ByteString> GetEnumerator()
        {
            for (var i = 0; i < keys.Count; i++)
            {
                if (i == 1)
                {
                    Entered.Set();
                    Release.Wait(TimeSpan.FromSeconds(30));
                }
                yield return keys[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public void Dispose()
        {
            Entered.Dispose();
            Release.Dispose();
        }
    }
}
