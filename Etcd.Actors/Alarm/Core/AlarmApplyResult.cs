using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Alarm.Core;

/// <summary>What applying one <see cref="AlarmRequest"/> did: the next table, etcd's response (no header yet), and whether an alarm type went from off to on or back.</summary>
public sealed record AlarmApplyResult(AlarmTable Table, AlarmResponse Response, AlarmTransition Transition);
