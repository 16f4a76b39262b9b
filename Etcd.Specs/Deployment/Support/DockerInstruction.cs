namespace Etcd.Specs.Deployment.Support;

/// <summary>One Dockerfile instruction, continuation lines joined: FROM, COPY, ENV, ... and its argument text.</summary>
public sealed record DockerInstruction(string Keyword, string Arguments);
