using Xunit;

namespace Etcd.Specs.Support;

/// <summary>xunit's definition of the collection whose specs share one <see cref="ClusterPair"/>.</summary>
[CollectionDefinition(ClusterPair.Collection)]
public sealed class ClusterPairCollection : ICollectionFixture<ClusterPair>;
