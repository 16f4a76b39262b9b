namespace Etcd.Actors.Alarm.Core;

/// <summary>How an applied alarm request changed what the applier refuses (etcd swaps its applier on these).</summary>
public enum AlarmTransition
{
    /// <summary>Nothing the applier refuses changed.</summary>
    None,

    /// <summary>The first alarm of its type was raised: etcd logs "alarm X raised by peer Y".</summary>
    Raised,

    /// <summary>The last alarm of its type was disarmed: etcd logs "alarm disarmed".</summary>
    Cleared,
}
