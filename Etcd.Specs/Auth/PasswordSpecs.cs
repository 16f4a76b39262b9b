using System.Diagnostics;
using Etcd.Actors.Auth;
using Etcd.Actors.Auth.Core;
using Etcd.Actors.Errors;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Auth;

/// <summary>
/// Authenticate's password half (etcd's CheckPassword) and bcrypt: one hash check whatever the outcome, so an unknown
/// user name costs what a wrong password does; hashes are etcd's <c>$2a$</c> at the configured cost.
/// </summary>
public sealed class PasswordSpecs(ITestOutputHelper output)
{
    private static AuthStore Enabled(IPasswordHasher hasher)
    {
        var s = new AuthStore();
        Assert.Null(s.UserAdd("root", hasher.Hash("rootpw"), false));
        Assert.Null(s.UserGrantRole("root", "root"));
        Assert.Null(s.UserAdd("alice", hasher.Hash("secret"), false));
        Assert.Null(s.UserAdd("cn-only", "", noPassword: true));
        Assert.Null(s.AuthEnable());
        return s;
    }

    [Fact]
    public void A_right_password_gives_the_auth_revision()
    {
        var hasher = new CountingHasher();
        var s = Enabled(hasher);
        Assert.Null(s.CheckPassword("alice", "secret", hasher, out var revision));
        Assert.Equal(s.Revision, revision);
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("nobody", "secret")]
    [InlineData("cn-only", "")]
    [InlineData("cn-only", "anything")]
    [InlineData("", "")]
    public void Every_failure_is_the_same_error_after_exactly_one_hash_check(string user, string password)
    {
        var hasher = new CountingHasher();
        var s = Enabled(hasher);
        Assert.Equal(EtcdErrors.AuthFailed, s.CheckPassword(user, password, hasher, out var revision));
        Assert.Equal(0UL, revision);
        // The timing guard: exactly one check, against the dummy hash when there is no usable stored hash.
        var against = Assert.Single(hasher.CheckedAgainst);
        Assert.Equal(user == "alice" ? "h:secret" : hasher.DummyHash, against);
    }

    [Fact]
    public void Authenticating_while_disabled_is_refused()
    {
        var hasher = new CountingHasher();
        var s = new AuthStore();
        Assert.Null(s.UserAdd("alice", hasher.Hash("secret"), false));
        Assert.Equal(EtcdErrors.AuthNotEnabled, s.CheckPassword("alice", "secret", hasher, out _));
    }

    [Fact]
    public void Bcrypt_hashes_like_etcd_and_checks_them()
    {
        var hasher = new BcryptPasswordHasher(4);
        var hash = hasher.Hash("secret");
        Assert.StartsWith("$2a$04$", hash);
        Assert.Equal(60, hash.Length);
        Assert.NotEqual(hash, hasher.Hash("secret")); // salted
        Assert.True(hasher.Verify("secret", hash));
        Assert.False(hasher.Verify("Secret", hash));
        Assert.False(hasher.Verify("secret", "not a hash"));
        Assert.False(hasher.Verify("", hasher.DummyHash));
        Assert.StartsWith("$2a$04$", hasher.DummyHash);
        // A hash etcd 3.4.23 stored itself: `etcd --bcrypt-cost 4`, `etcdctl user add root:rootpw`, then read from
        // its bbolt file (member/snap/db). Ours must check etcd's hashes, and etcd ours (same $2a$ format).
        Assert.True(hasher.Verify("rootpw", EtcdHashOfRootpw));
        Assert.False(hasher.Verify("rootpW", EtcdHashOfRootpw));
    }

    private const string EtcdHashOfRootpw = "$2a$04$JQRPwmUnEtRdCZGzCN/6v.LlICdyu4pB.Hqhv6MOMlFK4NMaN/lLi";

    [Theory]
    [InlineData(0u, 10)]
    [InlineData(3u, 10)]
    [InlineData(4u, 4)]
    [InlineData(10u, 10)]
    [InlineData(31u, 31)]
    [InlineData(32u, 10)]
    public void An_invalid_bcrypt_cost_falls_back_to_etcds_default(uint requested, int effective) =>
        Assert.Equal(effective, BcryptPasswordHasher.EffectiveCost(requested));

    [Fact]
    public void An_unknown_user_takes_as_long_as_a_wrong_password()
    {
        // The deterministic guard is the single-check spec above; this measures it with real bcrypt (cost 8, so a
        // check is a few ms) and allows a wide margin because the machine is shared.
        var hasher = new BcryptPasswordHasher(8);
        var s = Enabled(hasher);
        var users = new[] { "alice", "nobody", "cn-only" };
        var times = users.ToDictionary(u => u, _ => new List<double>());
        // Round robin, so a burst of load from other processes falls on all three alike.
        for (var i = 0; i < 12; i++)
        {
            foreach (var user in users)
            {
                var sw = Stopwatch.StartNew();
                Assert.Equal(EtcdErrors.AuthFailed, s.CheckPassword(user, "wrong", hasher, out _));
                if (i > 0) times[user].Add(sw.Elapsed.TotalMilliseconds); // the first round warms up
            }
        }
        double Median(string user) => times[user].Order().ElementAt(times[user].Count / 2);
        var (wrongPassword, unknownUser, noPasswordUser) = (Median("alice"), Median("nobody"), Median("cn-only"));
        output.WriteLine($"bcrypt cost 8, median of 11 interleaved: wrong password {wrongPassword:F2} ms, unknown user {unknownUser:F2} ms, no-password user {noPasswordUser:F2} ms");
        // One-sided: the leak this guards against answers an unknown user some 10,000 times faster (0.02 against
        // 296 ms when the dummy check was skipped); a slower answer leaks nothing and is load on a shared machine.
        Assert.True(unknownUser / wrongPassword > 0.2, $"unknown user {unknownUser:F2} ms against wrong password {wrongPassword:F2} ms");
        Assert.True(noPasswordUser / wrongPassword > 0.2, $"no-password user {noPasswordUser:F2} ms against wrong password {wrongPassword:F2} ms");
    }
}
