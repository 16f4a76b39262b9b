using Etcd.Actors.Auth;
using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Auth;

/// <summary>
/// etcd's simple tokens (auth/simple_token.go): <c>&lt;16 letters&gt;.&lt;index&gt;</c>, a TTL refreshed on use, and
/// "invalid auth token" for anything unknown, malformed or expired; plus the table's bound, and resolving (every
/// request of every client with auth on) without a lock or an allocation while other threads change the table.
/// </summary>
public sealed class SimpleTokensSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(1000);

    [Fact]
    public void A_token_is_sixteen_letters_a_dot_and_the_raft_index()
    {
        var prefix = SimpleTokens.NewPrefix(new SeededTokenRandom(1));
        Assert.Matches("^[a-zA-Z]{16}$", prefix);
        Assert.Equal(prefix, SimpleTokens.NewPrefix(new SeededTokenRandom(1)));
        Assert.NotEqual(prefix, SimpleTokens.NewPrefix(new SeededTokenRandom(2)));
        var tokens = new SimpleTokens(SimpleTokens.DefaultTtl, 10);
        var token = tokens.Assign("alice", prefix, 42, T0);
        Assert.Equal(prefix + ".42", token);
        Assert.True(SimpleTokens.TryParseIndex(token, out var index));
        Assert.Equal(42UL, index);
        Assert.Null(tokens.Resolve(token, T0, out var user));
        Assert.Equal("alice", user);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abcdefghijklmnop")]
    [InlineData("abcdefghijklmnop.")]
    [InlineData(".42")]
    [InlineData("abcdefghijklmnop.4x")]
    [InlineData("abcdefghijklmnop.-4")]
    [InlineData("abcdefghijklmnop.4.2")]
    [InlineData("abcdefghijklmnop.43")]
    [InlineData("abcdefghijklmnopq.42")]
    public void Unknown_or_malformed_tokens_are_invalid_and_change_nothing(string token)
    {
        var tokens = new SimpleTokens(SimpleTokens.DefaultTtl, 10);
        var good = tokens.Assign("alice", "abcdefghijklmnop", 42, T0);
        Assert.Equal(EtcdErrors.InvalidAuthToken, tokens.Resolve(token, T0, out var user));
        Assert.Equal("", user);
        Assert.Equal(1, tokens.Count);
        Assert.Null(tokens.Resolve(good, T0, out _));
    }

    [Fact]
    public void The_ttl_runs_from_the_last_use()
    {
        var tokens = new SimpleTokens(TimeSpan.FromMinutes(5), 10);
        var token = tokens.Assign("alice", "abcdefghijklmnop", 7, T0);
        // Used just before expiry: the five minutes start again.
        Assert.Null(tokens.Resolve(token, T0 + TimeSpan.FromSeconds(299), out _));
        Assert.Null(tokens.Resolve(token, T0 + TimeSpan.FromSeconds(598), out _));
        Assert.Equal(0, tokens.Expire(T0 + TimeSpan.FromSeconds(898)));
        // Idle for more than the TTL: gone, both by lookup and by the sweep.
        Assert.Equal(EtcdErrors.InvalidAuthToken, tokens.Resolve(token, T0 + TimeSpan.FromSeconds(899), out _));
        Assert.Equal(0, tokens.Count);

        var other = tokens.Assign("bob", "bcdefghijklmnopq", 8, T0);
        Assert.Equal(1, tokens.Expire(T0 + TimeSpan.FromSeconds(301)));
        Assert.Equal(EtcdErrors.InvalidAuthToken, tokens.Resolve(other, T0, out _));
    }

    [Fact]
    public void A_deleted_user_or_auth_disable_ends_sessions()
    {
        var tokens = new SimpleTokens(SimpleTokens.DefaultTtl, 10);
        var a1 = tokens.Assign("alice", "aaaaaaaaaaaaaaaa", 1, T0);
        var a2 = tokens.Assign("alice", "bbbbbbbbbbbbbbbb", 2, T0);
        var b = tokens.Assign("bob", "cccccccccccccccc", 3, T0);
        tokens.InvalidateUser("alice");
        Assert.Equal(EtcdErrors.InvalidAuthToken, tokens.Resolve(a1, T0, out _));
        Assert.Equal(EtcdErrors.InvalidAuthToken, tokens.Resolve(a2, T0, out _));
        Assert.Null(tokens.Resolve(b, T0, out _));
        tokens.Clear();
        Assert.Equal(EtcdErrors.InvalidAuthToken, tokens.Resolve(b, T0, out _));
    }

    [Fact]
    public void At_the_bound_a_new_token_evicts_the_least_recently_used()
    {
        var tokens = new SimpleTokens(SimpleTokens.DefaultTtl, 3);
        var random = new SeededTokenRandom(7);
        var t = Enumerable.Range(1, 3).Select(i => tokens.Assign("u" + i, SimpleTokens.NewPrefix(random), (ulong)i, T0 + TimeSpan.FromSeconds(i))).ToList();
        // Using the oldest refreshes it, so the second one is now the least recently used.
        Assert.Null(tokens.Resolve(t[0], T0 + TimeSpan.FromSeconds(10), out _));
        var fourth = tokens.Assign("u4", SimpleTokens.NewPrefix(random), 4, T0 + TimeSpan.FromSeconds(11));
        Assert.Equal(3, tokens.Count);
        Assert.Equal(EtcdErrors.InvalidAuthToken, tokens.Resolve(t[1], T0 + TimeSpan.FromSeconds(12), out _));
        Assert.Null(tokens.Resolve(t[0], T0 + TimeSpan.FromSeconds(12), out _));
        Assert.Null(tokens.Resolve(t[2], T0 + TimeSpan.FromSeconds(12), out _));
        Assert.Null(tokens.Resolve(fourth, T0 + TimeSpan.FromSeconds(12), out _));
    }

    [Fact]
    public void The_same_token_twice_fails_loudly_as_etcd_panics()
    {
        var tokens = new SimpleTokens(SimpleTokens.DefaultTtl, 3);
        tokens.Assign("a", "aaaaaaaaaaaaaaaa", 1, T0);
        Assert.Throws<InvalidOperationException>(() => tokens.Assign("b", "aaaaaaaaaaaaaaaa", 1, T0));
        Assert.Throws<ArgumentException>(() => tokens.Assign("b", "short", 2, T0));
    }

    [Fact]
    public void Resolving_a_token_allocates_nothing()
    {
        var tokens = new SimpleTokens(SimpleTokens.DefaultTtl, 10);
        var token = tokens.Assign("alice", "abcdefghijklmnop", 42, T0);
        tokens.Assign("bob", "bcdefghijklmnopq", 43, T0);
        Assert.Null(tokens.Resolve(token, T0, out _));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i <= 1000; i++) Assert.Null(tokens.Resolve(token, T0 + TimeSpan.FromMilliseconds(i), out _));
        // Before the lazy expiry index, each use moved the token in a sorted set: a new node per request.
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        // The uses count all the same: the TTL runs from the last one.
        // Bob, never used since T0, goes; alice, used until T0 + 1 s, stays.
        Assert.Equal(1, tokens.Expire(T0 + SimpleTokens.DefaultTtl + TimeSpan.FromMilliseconds(500)));
        Assert.Equal(1, tokens.Count);
        Assert.Equal(EtcdErrors.InvalidAuthToken, tokens.Resolve(token, T0 + SimpleTokens.DefaultTtl + TimeSpan.FromSeconds(2), out _));
    }

    [Fact]
    public async Task Tokens_resolve_on_many_threads_while_others_are_assigned_expired_and_evicted()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var ttl = TimeSpan.FromSeconds(30);
        const int capacity = 40;
        var tokens = new SimpleTokens(ttl, capacity);
        var assigned = new string[400];
        var count = 0;
        long clock = T0.Ticks;
        using var stop = new CancellationTokenSource();
        var resolvers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var r = new Random(seed + w + 1);
            var resolved = 0;
            while (!stop.IsCancellationRequested)
            {
                var n = Volatile.Read(ref count);
                if (n == 0) continue;
                var token = Volatile.Read(ref assigned[r.Next(n)]);
                if (tokens.Resolve(token, new TimeSpan(Interlocked.Read(ref clock)), out var user) is null)
                {
                    Assert.StartsWith("user", user);
                    resolved++;
                }
            }
            return resolved;
        })).ToArray();
        for (var i = 0; i < assigned.Length; i++)
        {
            var now = Interlocked.Add(ref clock, TimeSpan.FromMilliseconds(random.Next(0, 500)).Ticks);
            var token = tokens.Assign("user" + i, SimpleTokens.NewPrefix(new SeededTokenRandom(seed + i)), (ulong)i + 1, new TimeSpan(now));
            Volatile.Write(ref assigned[i], token);
            Volatile.Write(ref count, i + 1);
            if (random.Next(10) == 0) tokens.Expire(new TimeSpan(now));
            Assert.True(tokens.Count <= capacity);
        }
        stop.Cancel();
        var resolved = await Task.WhenAll(resolvers).WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"resolved {resolved.Sum()} times");
        // Quiet again: the table and its index agree, and exactly the tokens it holds resolve.
        var end = new TimeSpan(Interlocked.Read(ref clock));
        var live = assigned.Count(t => tokens.Resolve(t, end, out _) is null);
        Assert.Equal(tokens.Count, live);
        Assert.True(live is > 0 and <= capacity, $"{live} live tokens");
        // The last one assigned is always among them: it was used least long ago.
        Assert.Null(tokens.Resolve(assigned[^1], end, out _));
        Assert.Equal(live, tokens.Expire(end + ttl + TimeSpan.FromTicks(1)));
        Assert.Equal(0, tokens.Count);
    }
}
