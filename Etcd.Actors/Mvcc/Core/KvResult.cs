using Etcd.Actors.Errors;

namespace Etcd.Actors.Mvcc.Core;

/// <summary>Either a response message or one of etcd's errors; no exceptions on the apply path.</summary>
public readonly struct KvResult<T> where T : class
{
    private KvResult(T? value, EtcdError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public EtcdError? Error { get; }

    public bool IsOk => Error is null;

    public static implicit operator KvResult<T>(T value) => new(value, null);

    public static implicit operator KvResult<T>(EtcdError error) => new(null, error);

    /// <summary>The response; throws the error as <see cref="EtcdException"/> (tests and callers that want exceptions).</summary>
    public T Unwrap() => Error is null ? Value! : throw Error.ToException();
}
