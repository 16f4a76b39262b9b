namespace Etcd.Node.Configuration;

/// <summary>
/// Bad configuration: the message is the single line printed on stderr before exiting with code 1.
/// Wording follows etcd's where etcd has one ("flag provided but not defined: -foo").
/// </summary>
public sealed class FlagException(string message) : Exception(message);
