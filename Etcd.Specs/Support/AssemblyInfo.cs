using Xunit;

// Specs start real processes and ActorSystems on a 2-core machine; running classes in parallel would
// make timing-sensitive specs flaky for no gain in what they prove.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
