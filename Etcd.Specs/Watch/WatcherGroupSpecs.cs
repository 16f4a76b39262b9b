using Etcd.Actors.Watch.Core;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Watch.CoreRig;

namespace Etcd.Specs.Watch;

/// <summary><see cref="WatcherGroup"/>'s lookup finds exactly the watchers whose range holds a key, through adds and removes.</summary>
public sealed class WatcherGroupSpecs(ITestOutputHelper output)
{
    [Theory]
    [InlineData(11)]
    [InlineData(23)]
    [InlineData(97)]
    public void Lookup_agrees_with_checking_every_watcher(int seed)
    {
        output.WriteLine($"seed {seed}");
        var rnd = new Random(seed);
        var group = new WatcherGroup();
        var all = new List<Watcher>();
        var outlet = new RecordingOutlet();
        string K() => new(Enumerable.Range(0, 1 + rnd.Next(3)).Select(_ => (char)('a' + rnd.Next(4))).ToArray());
        for (var step = 0; step < 600; step++)
        {
            if (all.Count == 0 || rnd.Next(3) > 0)
            {
                var a = K();
                var range = rnd.Next(4) switch
                {
                    0 => Key(a),
                    1 => Prefix(a),
                    2 => FromKey(a),
                    _ => KeyRange.FromRequest(B(a), B(a + "c")) ?? Key(a),
                };
                var w = new Watcher(step, range, 0, WatchFilters.None, false, false, false, outlet);
                group.Add(w);
                all.Add(w);
            }
            else
            {
                var i = rnd.Next(all.Count);
                Assert.True(group.Remove(all[i]));
                all.RemoveAt(i);
            }
            var probe = B(K());
            var found = new List<Watcher>();
            group.Match(probe, found);
            var expected = all.Where(w => w.Range.Contains(probe)).Select(w => w.WatchId).OrderBy(x => x);
            Assert.Equal(expected, found.Select(w => w.WatchId).OrderBy(x => x));
            Assert.Equal(all.Count, group.Count);
        }
    }
}
