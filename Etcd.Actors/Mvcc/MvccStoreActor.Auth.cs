using Etcd.Actors.Auth;
using Etcd.Actors.Auth.Core;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The applied auth state: loaded from the backend with the store (OpenStore), changed only by committed entries
/// (Applier.Auth.cs), written in the same transaction as the batch that changed it, and published to the member's
/// <see cref="AuthGate"/> once durable, so the gRPC edge never acts on an auth state a crash could take back.
/// </summary>
public sealed partial class MvccStoreActor
{
    private readonly AuthGate? _authGate;

    /// <summary>The batch's auth rows when it changed the auth state (staged for the commit), else null.</summary>
    private IReadOnlyList<AuthRow>? StageAuth()
    {
        if (!_applier.TakeAuthChanged()) return null;
        var rows = AuthStateCodec.ToRows(_applier.Auth);
        _backend.StageAuth(rows);
        return rows;
    }

    /// <summary>After the commit: the edge sees the new state (a copy it never shares with the applier) and the applied index.</summary>
    private void PublishAuth(IReadOnlyList<AuthRow>? rows)
    {
        if (_authGate is null) return;
        if (rows is null) _authGate.SetApplied(_applied);
        else _authGate.Publish(AuthStateCodec.FromRows(rows), _applied);
    }
}
