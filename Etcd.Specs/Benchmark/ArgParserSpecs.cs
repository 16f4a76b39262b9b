using Etcd.Benchmark;
using Xunit;

namespace Etcd.Specs.Benchmark;

public sealed class ArgParserSpecs
{
    private static BenchOptions Ok(params string[] args)
    {
        var r = ArgParser.Parse(args);
        Assert.Null(r.Error);
        return Assert.IsType<BenchOptions>(r.Options);
    }

    private static string Fail(params string[] args)
    {
        var r = ArgParser.Parse(args);
        Assert.Null(r.Options);
        return Assert.IsType<string>(r.Error);
    }

    [Fact]
    public void Defaults_follow_etcd_benchmark()
    {
        var o = Ok("put");
        Assert.Equal(BenchCommand.Put, o.Command);
        Assert.Equal(["http://127.0.0.1:2379"], o.Endpoints);
        Assert.Equal((1, 1, 10000, 120.0), (o.Conns, o.Clients, o.Total, o.MaxSeconds));
        Assert.Equal((8, 8, 1, false), (o.KeySize, o.ValSize, o.KeySpaceSize, o.SequentialKeys));
    }

    [Fact]
    public void Tls_and_user_flags()
    {
        var o = Ok("--cacert", "ca.pem", "--cert", "c.pem", "--key", "k.pem", "--endpoints", "127.0.0.1:2379", "--user", "bench:pw:x", "put");
        Assert.Equal(["https://127.0.0.1:2379"], o.Endpoints); // TLS flags: no scheme means https
        Assert.Equal(("ca.pem", "c.pem", "k.pem"), (o.CaCert, o.Cert, o.Key));
        Assert.Equal(("bench", "pw:x"), (o.User, o.Password)); // the password may hold colons
        Assert.Contains("https", Fail("--cacert", "ca.pem", "--endpoints", "http://127.0.0.1:2379", "put"));
        Assert.Contains("go together", Fail("--cert", "c.pem", "put"));
        Assert.Contains("NAME:PASSWORD", Fail("--user", "bench", "put"));
        Assert.Contains("NAME:PASSWORD", Fail("--user", ":pw", "put"));
        Assert.Equal("p/", Ok("put", "--key-prefix", "p/").KeyPrefix);
        Assert.Contains("does not apply", Fail("range", "k", "--key-prefix", "p/"));
    }

    [Fact]
    public void Flags_anywhere_and_both_syntaxes()
    {
        var o = Ok("--endpoints=a:1,http://b:2", "--conns", "10", "put", "--clients=100",
            "--sequential-keys", "--val-size", "256", "--key-space-size", "100000", "--total", "20000");
        Assert.Equal(["http://a:1", "http://b:2"], o.Endpoints);
        Assert.Equal((10, 100, 20000), (o.Conns, o.Clients, o.Total));
        Assert.Equal((256, 100000, true), (o.ValSize, o.KeySpaceSize, o.SequentialKeys));
    }

    [Fact]
    public void Range_key_end_and_consistency()
    {
        var o = Ok("range", "foo", "fop", "--consistency", "s");
        Assert.Equal(("foo", "fop", "s"), (o.RangeKey, o.RangeEnd, o.Consistency));
        Assert.Null(Ok("range", "foo").RangeEnd);
        Assert.Equal("l", Ok("range", "foo").Consistency);
        Assert.Equal("none", Ok("range", "foo").RangeTxn);
        Assert.Equal("compare", Ok("range", "a", "b", "--txn", "compare").RangeTxn);
        Assert.Equal("op", Ok("range", "a", "b", "--txn=op").RangeTxn);
    }

    [Fact]
    public void Txn_put_ops()
    {
        var o = Ok("txn-put", "--txn-ops", "4");
        Assert.Equal((BenchCommand.TxnPut, 4), (o.Command, o.TxnOps));
    }

    [Fact]
    public void Failover_defaults_and_flags()
    {
        var d = Ok("failover");
        Assert.Equal((BenchCommand.Failover, 200.0, null, 2.0, 1.0), (d.Command, d.Rate, d.KillPid, d.KillAfterSeconds, d.RequestTimeoutSeconds));
        Assert.Equal((1.0, 0.8), (d.SteadyWindowSeconds, d.SteadyFraction));
        var o = Ok("failover", "--rate", "50.5", "--kill-pid", "1234", "--kill-after=1.5", "--total", "400",
            "--request-timeout", "0.25", "--steady-window", "0.5", "--steady-fraction", "1", "--val-size", "256");
        Assert.Equal((50.5, 1234, 1.5, 0.25), (o.Rate, o.KillPid, o.KillAfterSeconds, o.RequestTimeoutSeconds));
        Assert.Equal((0.5, 1.0, 256, "failover"), (o.SteadyWindowSeconds, o.SteadyFraction, o.ValSize, o.OpName));
    }

    [Theory]
    [InlineData("--kill-after", "1")]                                        // nothing to kill
    [InlineData("--kill-pid", "7", "--total", "400", "--kill-after", "2")]   // 400 puts at 200/s end at 2 s
    [InlineData("--kill-pid", "7", "--max-seconds", "2", "--kill-after", "3")]
    [InlineData("--kill-pid", "0")]
    [InlineData("--steady-fraction", "1.5")]
    [InlineData("--rate", "0")]
    [InlineData("--consistency", "l")]
    public void Failover_rejects(params string[] flags) => Fail(["failover", .. flags]);

    [Theory]
    [InlineData("put", "--rate", "10")]
    [InlineData("range", "foo", "--kill-pid", "1")]
    public void Failover_flags_belong_to_failover_only(params string[] args) => Fail(args);

    [Theory]
    [InlineData("put", "--bogus", "1")]
    [InlineData("put", "--consistency", "s")]   // range-only flag
    [InlineData("range", "foo", "--txn-ops", "2")]
    [InlineData("range")]
    [InlineData("range", "a", "b", "c")]
    [InlineData("range", "foo", "--consistency", "x")]
    [InlineData("range", "foo", "--txn", "put")]
    [InlineData("put", "--txn", "op")]
    [InlineData("put", "extra")]
    [InlineData("put", "--total", "0")]
    [InlineData("put", "--total", "abc")]
    [InlineData("put", "--total")]
    [InlineData("put", "--conns", "1", "--conns", "2")]
    [InlineData("put", "--key-size", "2", "--key-space-size", "100000")] // needs 3 bytes
    [InlineData("put", "--endpoints", "ftp://x:1")]
    [InlineData("frobnicate")]
    public void Rejects(params string[] args) => Fail(args);

    [Fact]
    public void Watch_defaults_and_flags()
    {
        var d = Ok("watch");
        Assert.Equal((BenchCommand.Watch, "watch", 100, 10, "bench-watch/", 10.0), (d.Command, d.OpName, d.Watchers, d.Streams, d.WatchPrefix, d.DrainSeconds));
        var o = Ok("--conns", "10", "--clients", "100", "watch", "--watchers", "1000", "--streams=100", "--watch-prefix", "w/",
            "--drain-timeout", "2.5", "--total", "2000", "--val-size", "64");
        Assert.Equal((1000, 100, "w/", 2.5, 2000, 64), (o.Watchers, o.Streams, o.WatchPrefix, o.DrainSeconds, o.Total, o.ValSize));
    }

    [Theory]
    [InlineData("watch", "--watchers", "0")]
    [InlineData("watch", "--streams", "0")]
    [InlineData("watch", "--watch-prefix", "")]                        // would watch every key
    [InlineData("watch", "--watchers", "10000", "--total", "2001")]    // 20,010,000 events to record
    [InlineData("watch", "--key-space-size", "10")]                     // keys are one per put
    [InlineData("watch", "--idle-watchers", "10")]
    [InlineData("put", "--watchers", "10")]
    [InlineData("put", "--streams", "10")]                              // only with --idle-watchers
    [InlineData("put", "--idle-watchers", "-1")]
    [InlineData("range", "foo", "--idle-watchers", "10")]
    [InlineData("put", "--ready-file", "/tmp/x")]                       // only with --idle-watchers
    [InlineData("watch", "--ready-file=")]
    [InlineData("watch", "--warmup-puts", "-1")]
    [InlineData("put", "--warmup-puts", "10")]                          // watch only
    [InlineData("put", "--delay-dump", "/tmp/x")]                       // watch only
    [InlineData("range", "foo", "--ready-file", "/tmp/x")]
    public void Watch_rejects(params string[] args) => Fail(args);

    [Fact]
    public void Watch_accepts_the_largest_recordable_run() =>
        Assert.Equal(2000, Ok("watch", "--watchers", "10000", "--total", "2000").Total);

    [Fact]
    public void Watch_warm_up_and_delay_dump()
    {
        var d = Ok("watch");
        Assert.Equal((1000, null), (d.WarmUpPuts, d.DelayDump));
        var o = Ok("watch", "--warmup-puts", "0", "--delay-dump", "/tmp/d.csv");
        Assert.Equal((0, "/tmp/d.csv"), (o.WarmUpPuts, o.DelayDump));
    }

    [Fact]
    public void Put_with_idle_watchers()
    {
        Assert.Equal(0, Ok("put").IdleWatchers);
        var o = Ok("put", "--idle-watchers", "1000", "--streams", "20");
        Assert.Equal((BenchCommand.Put, 1000, 20), (o.Command, o.IdleWatchers, o.Streams));
    }

    [Fact]
    public void Ready_file_for_watch_and_idle_watchers()
    {
        Assert.Null(Ok("watch").ReadyFile);
        Assert.Equal("/tmp/r", Ok("watch", "--ready-file", "/tmp/r").ReadyFile);
        Assert.Equal("/tmp/r", Ok("put", "--idle-watchers", "10", "--ready-file=/tmp/r").ReadyFile);
    }

    [Fact]
    public void Lease_commands()
    {
        var g = Ok("lease-grant");
        Assert.Equal((BenchCommand.LeaseGrant, "lease-grant", 60L), (g.Command, g.OpName, g.Ttl));
        Assert.Equal(5L, Ok("lease-grant", "--ttl", "5").Ttl);
        var k = Ok("--conns", "10", "--clients", "100", "lease-keepalive", "--leases", "50", "--ttl", "30", "--total", "10000");
        Assert.Equal((BenchCommand.LeaseKeepAlive, "lease-keepalive", 50, 30L, 10000), (k.Command, k.OpName, k.Leases, k.Ttl, k.Total));
        Assert.Equal(1000, Ok("lease-keepalive").Leases);
    }

    [Theory]
    [InlineData("lease-grant", "--ttl", "0")]
    [InlineData("lease-grant", "--leases", "10")]     // keep-alive only
    [InlineData("lease-keepalive", "--leases", "0")]
    [InlineData("lease-keepalive", "--val-size", "8")]
    [InlineData("put", "--ttl", "60")]
    [InlineData("lease-grant", "extra")]
    public void Lease_rejects(params string[] args) => Fail(args);

    [Fact]
    public void Help() => Assert.True(ArgParser.Parse(["--help"]).HelpRequested);
}
