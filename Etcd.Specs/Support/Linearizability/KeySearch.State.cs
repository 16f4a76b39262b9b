namespace Etcd.Specs.Support.Linearizability;

/// <summary>The search's bookkeeping: the linked lists it lifts operations out of, the bitset and its memo.</summary>
internal sealed partial class KeySearch
{
    /// <summary>A circular doubly linked list of <paramref name="count"/> nodes in order, its sentinel at index count.</summary>
    private static (int[] Next, int[] Prev) Ring(int count)
    {
        var next = new int[count + 1];
        var prev = new int[count + 1];
        for (var i = 0; i <= count; i++)
        {
            next[i] = i == count ? 0 : i + 1;
            prev[i] = i == 0 ? count : i - 1;
        }
        return (next, prev);
    }

    /// <summary>Adds (linearized set, state) to the memo; false if it was already there.</summary>
    private bool Remember(int state)
    {
        var hash = _hash ^ (SplitMixOf((ulong)state) * 0x9E3779B97F4A7C15UL);
        var probe = new CacheKey(hash, state, _prefix, _top, _def, _amb);
        if (_cache.Contains(probe)) return false;
        if (_cache.Count >= _maxMemo)
        {
            _memoFull = true;
            return false;
        }
        _cache.Add(probe.Copy());
        return true;
    }

    /// <summary>Whether ambiguous op j (index in the ambiguous list) is linearized.</summary>
    private bool Used(int j) => (_amb[j >> 6] & (1UL << (j & 63))) != 0;

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

    private static ulong SplitMix(ref ulong state) => SplitMixOf(state += 0x9E3779B97F4A7C15UL);

    private static ulong SplitMixOf(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
