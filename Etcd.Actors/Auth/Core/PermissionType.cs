namespace Etcd.Actors.Auth.Core;

/// <summary>What a permission allows, with authpb.Permission.Type's numbers (READ=0, WRITE=1, READWRITE=2).</summary>
public enum PermissionType
{
    Read = 0,
    Write = 1,
    ReadWrite = 2,
}
