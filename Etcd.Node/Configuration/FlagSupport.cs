namespace Etcd.Node.Configuration;

/// <summary>What Etcd.Actors does with a flag today. etcd's rule here: never silently ignore a setting.</summary>
public enum FlagSupport
{
    /// <summary>Read and honoured.</summary>
    Supported,

    /// <summary>
    /// Accepted with any valid value and has no effect by design: the knob tunes something this
    /// implementation does not have (bbolt's freelist, WAL file rotation, ...). Listed in --help as such.
    /// </summary>
    NoEffect,

    /// <summary>
    /// The feature is not built yet. Accepted only at its default value; anything else stops the node with
    /// a one-line reason instead of pretending to honour it.
    /// </summary>
    Refused,
}
