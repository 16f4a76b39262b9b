namespace Etcd.Benchmark;

/// <summary>What one watcher's event stream looked like against the revisions it should have seen.</summary>
public sealed record WatchCheckResult(
    long Received,
    long Matched,
    long Missing,
    long Duplicates,
    long OutOfOrder,
    long Unexpected,
    string? FirstProblem)
{
    public bool Ok => Missing == 0 && Duplicates == 0 && OutOfOrder == 0 && Unexpected == 0;
}

/// <summary>
/// Pure exactly-once-in-order check of one watcher. The expected revisions are those of the puts the
/// server acknowledged (one put = one revision, each put on a key of its own under the watched prefix),
/// sorted; the watcher must receive exactly that sequence. Each received revision is classified:
/// equal to the one before it: duplicate; below it: out of order (a reordering or a replay); not an
/// acknowledged put: unexpected (e.g. a put the client saw fail that was applied after all); otherwise
/// matched. Expected revisions never matched are missing (gaps).
/// </summary>
public static class WatchCheck
{
    public static WatchCheckResult Check(ReadOnlySpan<long> expectedSorted, ReadOnlySpan<long> received)
    {
        long last = long.MinValue;
        long matched = 0, duplicates = 0, outOfOrder = 0, unexpected = 0;
        int nextExpected = 0; // first expected revision not yet accounted for (received or reported missing)
        string? first = null;
        for (int i = 0; i < received.Length; i++)
        {
            long rev = received[i];
            if (rev == last)
            {
                duplicates++;
                first ??= $"event {i}: revision {rev} again (duplicate)";
                continue;
            }
            if (rev < last)
            {
                outOfOrder++;
                first ??= $"event {i}: revision {rev} after {last} (out of order)";
                continue;
            }
            last = rev;
            int at = expectedSorted.BinarySearch(rev);
            if (at < 0)
            {
                unexpected++;
                first ??= $"event {i}: revision {rev} is no acknowledged put";
                continue;
            }
            if (at > nextExpected)
            {
                first ??= $"event {i}: revision {rev} but revision {expectedSorted[nextExpected]} never came (gap of {at - nextExpected})";
            }
            matched++;
            nextExpected = at + 1;
        }
        long missing = expectedSorted.Length - matched;
        if (missing > 0 && nextExpected < expectedSorted.Length)
        {
            first ??= $"after {received.Length} events: revisions from {expectedSorted[nextExpected]} on never came ({expectedSorted.Length - nextExpected} missing at the end)";
        }
        return new WatchCheckResult(received.Length, matched, missing, duplicates, outOfOrder, unexpected, first);
    }
}
