namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Wing &amp; Gong's search for a linearization of one key's sub-history, with Lowe's memoization.
/// <para>The definite operations' call and return events form a doubly linked list in time order. From its
/// head, every call before the first return is a candidate to go next; so is every ambiguous operation
/// invoked by then (tried after the definite ones: an ambiguous op is only worth linearizing to explain
/// something). A candidate the model accepts is "lifted" out (both its events, dancing-links style) and
/// pushed on a stack unless its (linearized set, state) pair was seen before; when no candidate works the
/// last choice is popped and the scan resumes after it. The list emptying means every definite operation
/// found its place. An ambiguous op is applied only if it changes the state: one that would not is
/// indistinguishable from one that never happened.</para>
/// <para>Every loop turn is a step; past the budget the key is inconclusive. Pure: no clock, no threads.</para>
/// </summary>
internal sealed class KeySearch
{
    private const int TrailLength = 6;

    private readonly KeyHistory _h;
    private readonly int _nd;
    private readonly int _na;
    private readonly int _head;
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly int[] _anext;
    private readonly int[] _aprev;
    private readonly ulong[] _def;
    private readonly ulong[] _amb;
    private readonly ulong[] _zobrist;
    private readonly HashSet<CacheKey> _cache = [];
    private int _prefix;
    private int _top;
    private ulong _hash;

    // Deepest failure seen: the blocked return furthest along the event list.
    private int _stuckEvent = -1;
    private int _stuckOp = -1;
    private int _stuckState;
    private int _stuckDepth;
    private int[] _stuckTrail = [];

    public KeySearch(KeyHistory history)
    {
        _h = history;
        _nd = history.DefiniteCount;
        _na = history.AmbiguousCount;
        var events = 2 * _nd;
        _head = events;
        _next = new int[events + 1];
        _prev = new int[events + 1];
        for (var e = 0; e <= events; e++)
        {
            _next[e] = e == events ? 0 : e + 1;
            _prev[e] = e == 0 ? events : e - 1;
        }
        if (events == 0) _next[_head] = _prev[_head] = _head;
        _anext = new int[_na + 1];
        _aprev = new int[_na + 1];
        for (var j = 0; j <= _na; j++)
        {
            _anext[j] = j == _na ? 0 : j + 1;
            _aprev[j] = j == 0 ? _na : j - 1;
        }
        if (_na == 0) _anext[_na] = _aprev[_na] = _na;
        _def = new ulong[(_nd + 63) / 64];
        _amb = new ulong[(_na + 63) / 64];
        _zobrist = new ulong[_nd + _na];
        var seed = 0x5DEECE66DUL;
        for (var i = 0; i < _zobrist.Length; i++) _zobrist[i] = SplitMix(ref seed);
    }

    public KeyOutcome Run(long budget)
    {
        var n = _nd + _na;
        var opStack = new int[n];
        var stateStack = new int[n];
        var limitStack = new long[n];
        var blockStack = new int[n];
        var depth = 0;
        var state = _h.Initial;
        long steps = 0;

        // The scan cursor: phase 0 walks the event list, phase 1 the ambiguous list up to `limit`, the
        // time of the first return still in the event list (the operation `blocking`).
        var phase = 0;
        var node = _next[_head];
        long limit = 0;
        var blocking = -1;

        while (true)
        {
            if (_next[_head] == _head) return Outcome(CheckVerdict.Linearizable, steps);
            if (++steps > budget) return Outcome(CheckVerdict.Inconclusive, steps);

            int candidate;
            if (phase == 0)
            {
                if (!_h.EventIsCall[node])
                {
                    phase = 1;
                    limit = _h.EventTime[node];
                    blocking = _h.EventOp[node];
                    node = _anext[_na];
                    continue;
                }
                candidate = _h.EventOp[node];
            }
            else if (node != _na && _h.AmbInvoke[node] <= limit)
            {
                candidate = _nd + node;
            }
            else
            {
                NoteStuck(blocking, state, opStack, depth);
                if (depth == 0) return Outcome(CheckVerdict.NotLinearizable, steps);
                depth--;
                var op = opStack[depth];
                state = stateStack[depth];
                Toggle(op);
                if (op < _nd)
                {
                    Unlift(op);
                    phase = 0;
                    node = _next[_h.CallEvent[op]];
                }
                else
                {
                    var j = op - _nd;
                    _anext[_aprev[j]] = j;
                    _aprev[_anext[j]] = j;
                    phase = 1;
                    node = _anext[j];
                    limit = limitStack[depth];
                    blocking = blockStack[depth];
                }
                continue;
            }

            if (Apply(candidate, state) is var next && next >= 0)
            {
                Toggle(candidate);
                if (Remember(next))
                {
                    opStack[depth] = candidate;
                    stateStack[depth] = state;
                    limitStack[depth] = limit;
                    blockStack[depth] = blocking;
                    depth++;
                    state = next;
                    if (candidate < _nd) Lift(candidate);
                    else
                    {
                        var j = candidate - _nd;
                        _anext[_aprev[j]] = _anext[j];
                        _aprev[_anext[j]] = _aprev[j];
                    }
                    phase = 0;
                    node = _next[_head];
                    continue;
                }
                Toggle(candidate);
            }
            node = phase == 0 ? _next[node] : _anext[node];
        }
    }

    /// <summary>The register model: the state after <paramref name="op"/>, or -1 if it cannot run now.</summary>
    private int Apply(int op, int state)
    {
        var kind = _h.Kind[op];
        if (op >= _nd)
        {
            var after = kind switch
            {
                OpKind.Put => _h.Arg[op],
                OpKind.Delete => 0,
                _ => state == _h.Expected[op] ? _h.Arg[op] : state,
            };
            return after == state ? -1 : after;
        }
        return kind switch
        {
            OpKind.Put => _h.Arg[op],
            OpKind.Get => _h.Out[op] == state ? state : -1,
            OpKind.Delete => 0,
            _ when _h.Out[op] == 1 => state == _h.Expected[op] ? _h.Arg[op] : -1,
            _ => state != _h.Expected[op] ? state : -1,
        };
    }

    /// <summary>Adds (linearized set, state) to the memo; false if it was already there.</summary>
    private bool Remember(int state)
    {
        var hash = _hash ^ (SplitMixOf((ulong)state) * 0x9E3779B97F4A7C15UL);
        var probe = new CacheKey(hash, state, _prefix, _def, _prefix, _top - _prefix, _amb);
        if (_cache.Contains(probe)) return false;
        _cache.Add(probe.Copy());
        return true;
    }

    /// <summary>Flips an operation's bit, keeping the hash and the compressed-prefix bounds current.</summary>
    private void Toggle(int op)
    {
        _hash ^= _zobrist[op];
        if (op >= _nd)
        {
            var a = op - _nd;
            _amb[a >> 6] ^= 1UL << (a & 63);
            return;
        }
        var w = op >> 6;
        _def[w] ^= 1UL << (op & 63);
        if ((_def[w] & (1UL << (op & 63))) != 0)
        {
            if (w + 1 > _top) _top = w + 1;
            while (_prefix < _def.Length && _def[_prefix] == ulong.MaxValue) _prefix++;
        }
        else
        {
            if (w < _prefix) _prefix = w;
            while (_top > _prefix && _def[_top - 1] == 0) _top--;
        }
    }

    private void Lift(int op)
    {
        var c = _h.CallEvent[op];
        var r = _h.ReturnEvent[op];
        _next[_prev[c]] = _next[c];
        _prev[_next[c]] = _prev[c];
        _next[_prev[r]] = _next[r];
        _prev[_next[r]] = _prev[r];
    }

    private void Unlift(int op)
    {
        var c = _h.CallEvent[op];
        var r = _h.ReturnEvent[op];
        _next[_prev[r]] = r;
        _prev[_next[r]] = r;
        _next[_prev[c]] = c;
        _prev[_next[c]] = c;
    }

    private void NoteStuck(int blocking, int state, int[] opStack, int depth)
    {
        var at = _h.ReturnEvent[blocking];
        if (at <= _stuckEvent) return;
        _stuckEvent = at;
        _stuckOp = blocking;
        _stuckState = state;
        _stuckDepth = depth;
        _stuckTrail = opStack.AsSpan(Math.Max(0, depth - TrailLength), Math.Min(depth, TrailLength)).ToArray();
    }

    private KeyOutcome Outcome(CheckVerdict verdict, long steps) =>
        new(verdict, steps, _stuckOp, _stuckState, _stuckDepth, _stuckTrail);

    private static ulong SplitMix(ref ulong state) => SplitMixOf(state += 0x9E3779B97F4A7C15UL);

    private static ulong SplitMixOf(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
