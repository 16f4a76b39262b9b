namespace Etcd.Actors.Server;

public sealed partial record EtcdServerSettings
{
    /// <summary>
    /// --experimental-watch-progress-notify-interval: how often a watcher created with progress_notify that was
    /// sent nothing since is told where it stands (etcd 3.4: 10m); zero turns the notifications off.
    /// </summary>
    public TimeSpan WatchProgressNotifyInterval { get; init; }
}
