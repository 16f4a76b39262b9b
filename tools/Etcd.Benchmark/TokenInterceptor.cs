using Etcd.Api.Etcdserverpb;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Etcd.Benchmark;

/// <summary>
/// --user for one connection, as etcd's clientv3 does it: authenticate once (before the clock starts, see
/// <see cref="Runner.ConnectAsync"/>), send the token as gRPC metadata <c>token</c> on every call, and on
/// "etcdserver: invalid auth token" (an expired or evicted token, a restarted member) authenticate again and retry
/// the unary call once. Concurrent workers of a connection share one login: the first to see a stale token logs in,
/// the others reuse its token.
/// </summary>
public sealed class TokenInterceptor(Auth.AuthClient auth, string user, string password) : Interceptor
{
    private const string InvalidToken = "etcdserver: invalid auth token";
    private readonly SemaphoreSlim _login = new(1, 1);
    private volatile Metadata? _headers;
    private long _logins;

    /// <summary>Authentications done so far (1 after <see cref="LoginAsync"/> unless a token went stale).</summary>
    public long Logins => Interlocked.Read(ref _logins);

    /// <summary>Authenticates unless a token newer than <paramref name="stale"/> is already there; returns the headers to send.</summary>
    public async Task<Metadata> LoginAsync(Metadata? stale, CancellationToken ct)
    {
        await _login.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_headers is { } current && !ReferenceEquals(current, stale)) return current;
            var response = await auth.AuthenticateAsync(new AuthenticateRequest { Name = user, Password = password }, cancellationToken: ct)
                .ConfigureAwait(false);
            var headers = new Metadata { { "token", response.Token } };
            _headers = headers;
            Interlocked.Increment(ref _logins);
            return headers;
        }
        finally
        {
            _login.Release();
        }
    }

    private static ClientInterceptorContext<TRequest, TResponse> With<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, Metadata token)
        where TRequest : class where TResponse : class
    {
        var headers = token;
        if (context.Options.Headers is { Count: > 0 } own)
        {
            headers = new Metadata();
            foreach (var entry in own) headers.Add(entry);
            foreach (var entry in token) headers.Add(entry);
        }
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var response = SendAsync(request, context, continuation);
        // The workloads await the response only; status and trailers are those of a finished call.
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => new Metadata(), () => { });
    }

    private async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        where TRequest : class where TResponse : class
    {
        var ct = context.Options.CancellationToken;
        var headers = _headers ?? await LoginAsync(null, ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            using var call = continuation(request, With(context, headers));
            try
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e) when (attempt == 1 && e.Status.Detail == InvalidToken)
            {
                headers = await LoginAsync(headers, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Streams (watch, keep-alive) carry the token they were opened with; they are opened after the login.</summary>
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var headers = _headers ?? LoginAsync(null, context.Options.CancellationToken).GetAwaiter().GetResult();
        return continuation(With(context, headers));
    }
}
