namespace Etcd.Benchmark;

/// <summary>A response that arrived but is wrong (e.g. a keep-alive answering TTL 0): counted as an error with this message.</summary>
public sealed class BenchCheckException(string message) : Exception(message);
