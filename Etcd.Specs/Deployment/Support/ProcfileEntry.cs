namespace Etcd.Specs.Deployment.Support;

/// <summary>One "name: command" line of a Procfile, its command split into the words the shell would pass.</summary>
public sealed record ProcfileEntry(string Name, IReadOnlyList<string> Command);
