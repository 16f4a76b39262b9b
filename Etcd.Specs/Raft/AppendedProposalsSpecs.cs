using Etcd.Actors.Raft;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class AppendedProposalsSpecs
{
    private static PendingProposal P(ulong id) => new(id, ByteString.Empty, 0, 0, 0);

    [Fact]
    public void A_proposal_is_decided_only_when_the_commit_reaches_it_and_lost_only_if_another_term_holds_its_index()
    {
        var a = new AppendedProposals();
        a.Appended(5, term: 2, [P(1), P(2), P(3)]); // at 5, 6, 7
        var log = new Dictionary<ulong, ulong> { [5] = 2, [6] = 3, [7] = 3 };
        // Replaced in our log is not lost yet: the commit has not reached 6.
        Assert.Null(a.Decide(5, i => log[i]));
        Assert.Equal(2, a.Count);
        var lost = a.Decide(7, i => log[i]);
        Assert.Equal([2UL, 3], lost!.Select(p => p.Id));
        Assert.Equal(0, a.Count);
    }

    [Fact]
    public void The_same_index_in_two_terms_is_two_proposals_and_a_forgotten_term_decides_nothing()
    {
        var a = new AppendedProposals();
        a.Appended(5, term: 2, [P(1)]);
        a.Appended(5, term: 4, [P(2)]); // leader again later, at the same index
        a.Appended(6, term: 4, [P(3)]);
        // Index 5 committed with term 4: the term-2 proposal is lost, the term-4 one is ours. 6 was compacted away.
        var lost = a.Decide(6, i => i == 5 ? 4UL : null);
        Assert.Equal([1UL], lost!.Select(p => p.Id));
        Assert.Equal(0, a.Count);
    }
}
