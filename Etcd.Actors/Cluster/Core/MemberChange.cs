namespace Etcd.Actors.Cluster.Core;

/// <summary>What a conf change did to the member table.</summary>
public enum MemberChange
{
    /// <summary>A new voter (ConfChangeAddNode of an id not yet present).</summary>
    Added,
    /// <summary>A new learner (ConfChangeAddLearnerNode).</summary>
    AddedLearner,
    /// <summary>A learner became a voter (ConfChangeAddNode of a present learner).</summary>
    Promoted,
    /// <summary>A member left; its id is kept among the removed ids for good.</summary>
    Removed,
    /// <summary>A member's peer URLs changed (ConfChangeUpdateNode).</summary>
    Updated,
}
