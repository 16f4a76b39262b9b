namespace Etcd.Specs.Support.Linearizability;

/// <summary>
/// Wing &amp; Gong's search for a linearization of one key's sub-history, with Lowe's memoization.
/// <para>The definite operations' call and return events form a doubly linked list in time order. From its
/// head, every call before the first return is a candidate to go next; so is every ambiguous operation
/// invoked by then (tried after the definite ones). A candidate the model accepts is "lifted" out (both
/// its events, dancing-links style) and pushed on a stack unless its (linearized set, state) pair was seen
/// before; when no candidate works the last choice is popped and the scan resumes after it. The list
/// emptying means every definite operation found its place; ambiguous ones left over never happened.</para>
/// <para>Three reductions keep the search small; each only skips orders for which an equivalent order is
/// still tried, so they never change the verdict (the brute-force oracle spec checks that):</para>
/// <list type="bullet">
/// <item>Reads go first. A Get or failed Cas that may run now is taken without branching: it changes
/// nothing, and no pending op returned before it was invoked, so moving it to the front of any valid
/// order keeps the order valid (<see cref="ForcedRead"/>).</item>
/// <item>Ambiguous ops only when needed ("run" mode). Each one still pending could be put in or left out
/// at every later point, doubling the positions. But one that changes nothing is the same as one that
/// never happened; one followed by a definite write, or by an ambiguous Put or Delete, is overwritten and
/// can be dropped; one followed by a definite op that would also run without it can be dropped (that op
/// writes) or moved after it (that op changes nothing). So it suffices to try runs of ambiguous ops, each
/// after the first an ambiguous Cas that swaps only thanks to the one before, ending at a definite op
/// that fails on the state before the run's last op. Run-mode positions are not memoized (their future
/// is narrower than a normal position's); the position after the run's definite op is.</item>
/// <item>Identical ambiguous ops are interchangeable: only the earliest unused one of a kind is tried
/// (<see cref="KeyHistory.AmbiguousTwin"/>), so k writes lost in a crash cost k+1 positions, not 2^k.</item>
/// </list>
/// <para>Every loop turn is a step; past the budget the key is inconclusive. Pure: no clock, no threads.</para>
/// </summary>
internal sealed partial class KeySearch
{
    private const int TrailLength = 6;
    private const int Normal = -1;

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
    private readonly int _maxMemo;
    private bool _memoFull;
    private int _prefix;
    private int _top;
    private ulong _hash;

    // Deepest failure seen: the blocked return furthest along the event list.
    private int _stuckEvent = -1;
    private int _stuckOp = -1;
    private int _stuckState;
    private int _stuckDepth;
    private int _stuckWriter = -1;
    private int[] _stuckTrail = [];

    // The DFS stack: what was linearized and the cursor to restore when it is undone.
    private readonly int[] _opStack;
    private readonly int[] _stateStack;
    private readonly long[] _limitStack;
    private readonly int[] _blockStack;
    private readonly int[] _modeStack;
    private readonly bool[] _forcedStack;
    private readonly int[] _writerStack; // depth of the last op at or below this one that wrote, or -1
    private int _depth;
    private int _state;

    // The scan cursor: phase 0 walks the event list, phase 1 the ambiguous list up to _limit, the time of
    // the first return still in the event list (of the operation _blocking). _run is Normal, or in run
    // mode the state before the last ambiguous op linearized.
    private int _phase;
    private int _node;
    private long _limit;
    private int _blocking = -1;
    private int _run = Normal;

    public KeySearch(KeyHistory history, int maxMemoEntries)
    {
        _h = history;
        _maxMemo = maxMemoEntries;
        _nd = history.DefiniteCount;
        _na = history.AmbiguousCount;
        _head = 2 * _nd;
        (_next, _prev) = Ring(2 * _nd);
        (_anext, _aprev) = Ring(_na);
        _def = new ulong[(_nd + 63) / 64];
        _amb = new ulong[(_na + 63) / 64];
        _zobrist = new ulong[_nd + _na];
        var seed = 0x5DEECE66DUL;
        for (var i = 0; i < _zobrist.Length; i++) _zobrist[i] = SplitMix(ref seed);
        var n = _nd + _na;
        _opStack = new int[n];
        _stateStack = new int[n];
        _limitStack = new long[n];
        _blockStack = new int[n];
        _modeStack = new int[n];
        _forcedStack = new bool[n];
        _writerStack = new int[n];
        _state = history.Initial;
    }

    public KeyOutcome Run(long budget)
    {
        long steps = 0;
        var fresh = true;
        while (true)
        {
            if (_next[_head] == _head) return Outcome(CheckVerdict.Linearizable, steps);
            if (++steps > budget) return Outcome(CheckVerdict.Inconclusive, steps);

            var exhausted = false;
            var doomed = false;
            if (fresh)
            {
                fresh = false;
                _phase = 0;
                _node = _next[_head];
                if (_run == Normal && ForcedRead() is var read and >= 0)
                {
                    Toggle(read);
                    if (Remember(_state))
                    {
                        Push(read, _state, forced: true);
                        fresh = true;
                        continue;
                    }
                    if (_memoFull) return Outcome(CheckVerdict.Inconclusive, steps);
                    // Equivalent to a position already explored without success.
                    Toggle(read);
                    exhausted = doomed = true;
                }
            }

            var candidate = -1;
            if (!exhausted)
            {
                if (_phase == 0)
                {
                    if (!_h.EventIsCall[_node])
                    {
                        _phase = 1;
                        _limit = _h.EventTime[_node];
                        _blocking = _h.EventOp[_node];
                        _node = _anext[_na];
                        continue;
                    }
                    candidate = _h.EventOp[_node];
                }
                else if (_node != _na && _h.AmbInvoke[_node] <= _limit) candidate = _nd + _node;
                else exhausted = true;
            }
            if (exhausted)
            {
                if (_run == Normal && !doomed) NoteStuck();
                if (!Backtrack()) return Outcome(CheckVerdict.NotLinearizable, steps);
                continue;
            }

            var next = Apply(candidate, _state);
            var ambiguous = candidate >= _nd;
            var allowed = next >= 0 && (_run == Normal
                || (ambiguous ? _h.Kind[candidate] == OpKind.Cas : Apply(candidate, _run) < 0));
            if (allowed && ambiguous && _h.AmbiguousTwin[_node] is var twin and >= 0 && !Used(twin)) allowed = false;
            if (allowed)
            {
                Toggle(candidate);
                if (ambiguous || Remember(next))
                {
                    Push(candidate, next, forced: false);
                    fresh = true;
                    continue;
                }
                if (_memoFull) return Outcome(CheckVerdict.Inconclusive, steps);
                Toggle(candidate);
            }
            _node = _phase == 0 ? _next[_node] : _anext[_node];
        }
    }

    /// <summary>
    /// A read (Get, or a Cas that did not swap) that may run now can go first without loss: it changes
    /// nothing, and no pending op returned before it was invoked. So it is taken without branching, and
    /// backtracking steps over it. This keeps reads from multiplying the positions the search visits.
    /// </summary>
    private int ForcedRead()
    {
        for (var e = _next[_head]; _h.EventIsCall[e]; e = _next[e])
        {
            var op = _h.EventOp[e];
            var read = _h.Kind[op] switch
            {
                OpKind.Get => _h.Out[op] == _state,
                OpKind.Cas => _h.Out[op] == 0 && _h.Expected[op] != _state,
                _ => false,
            };
            if (read) return op;
        }
        return -1;
    }

    /// <summary>Linearizes <paramref name="op"/> (its bit is already set), leading to <paramref name="next"/>.</summary>
    private void Push(int op, int next, bool forced)
    {
        _opStack[_depth] = op;
        _stateStack[_depth] = _state;
        _limitStack[_depth] = _limit;
        _blockStack[_depth] = _blocking;
        _modeStack[_depth] = _run;
        _forcedStack[_depth] = forced;
        var writes = _h.Kind[op] is OpKind.Put or OpKind.Delete || op >= _nd || _h.Out[op] == 1 && _h.Kind[op] == OpKind.Cas;
        _writerStack[_depth] = writes ? _depth : _depth > 0 ? _writerStack[_depth - 1] : -1;
        _depth++;
        _run = op >= _nd ? _state : Normal;
        _state = next;
        if (op < _nd) Lift(op);
        else
        {
            var j = op - _nd;
            _anext[_aprev[j]] = _anext[j];
            _aprev[_anext[j]] = _aprev[j];
        }
    }

    /// <summary>Undoes the last branching choice (and any forced reads after it) and moves the cursor past it.</summary>
    private bool Backtrack()
    {
        while (_depth > 0)
        {
            _depth--;
            var op = _opStack[_depth];
            _state = _stateStack[_depth];
            _run = _modeStack[_depth];
            Toggle(op);
            if (op < _nd)
            {
                Unlift(op);
                if (_forcedStack[_depth]) continue;
                _phase = 0;
                _node = _next[_h.CallEvent[op]];
            }
            else
            {
                var j = op - _nd;
                _anext[_aprev[j]] = j;
                _aprev[_anext[j]] = j;
                _phase = 1;
                _node = _anext[j];
                _limit = _limitStack[_depth];
                _blocking = _blockStack[_depth];
            }
            return true;
        }
        return false;
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

    private void NoteStuck()
    {
        var at = _h.ReturnEvent[_blocking];
        if (at <= _stuckEvent) return;
        _stuckEvent = at;
        _stuckOp = _blocking;
        _stuckState = _state;
        _stuckDepth = _depth;
        _stuckWriter = _depth > 0 && _writerStack[_depth - 1] is var w and >= 0 ? _opStack[w] : -1;
        _stuckTrail = _opStack.AsSpan(Math.Max(0, _depth - TrailLength), Math.Min(_depth, TrailLength)).ToArray();
    }

    private KeyOutcome Outcome(CheckVerdict verdict, long steps) =>
        new(verdict, steps, _cache.Count, _memoFull, _stuckOp, _stuckState, _stuckWriter, _stuckDepth, _stuckTrail);
}
