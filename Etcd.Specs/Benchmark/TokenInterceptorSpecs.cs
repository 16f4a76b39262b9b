using Etcd.Api.Etcdserverpb;
using Etcd.Benchmark;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Xunit;

namespace Etcd.Specs.Benchmark;

/// <summary>
/// The benchmark's --user: one login per connection, the token on every call, and on "invalid auth token" one new
/// login and one retry (a server that keeps refusing gets its error back, not a loop).
/// </summary>
public sealed class TokenInterceptorSpecs
{
    /// <summary>A server in a CallInvoker: Authenticate hands out t1, t2, ...; Put accepts only the newest token.</summary>
    private sealed class FakeServer : CallInvoker
    {
        public int Logins;
        public bool RefuseAll;
        public readonly List<string?> TokensSeen = [];

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        {
            object response;
            if (request is AuthenticateRequest)
            {
                response = new AuthenticateResponse { Token = $"t{Interlocked.Increment(ref Logins)}" };
            }
            else
            {
                var token = options.Headers?.GetValue("token");
                lock (TokensSeen) TokensSeen.Add(token);
                if (RefuseAll || token != $"t{Logins}")
                    return Done<TResponse>(Task.FromException<TResponse>(new RpcException(new Status(StatusCode.Unauthenticated, "etcdserver: invalid auth token"))));
                response = new PutResponse();
            }
            return Done(Task.FromResult((TResponse)response));
        }

        private static AsyncUnaryCall<T> Done<T>(Task<T> t) =>
            new(t, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => new Metadata(), () => { });

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            throw new NotSupportedException();

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            throw new NotSupportedException();
    }

    private static readonly PutRequest Put = new() { Key = ByteString.CopyFromUtf8("k") };

    [Fact]
    public async Task Logs_in_once_sends_the_token_and_logs_in_again_once_on_an_invalid_token()
    {
        var server = new FakeServer();
        var login = new TokenInterceptor(new Etcd.Api.Etcdserverpb.Auth.AuthClient(server), "bench", "pw");
        var kv = new KV.KVClient(server.Intercept(login));
        await login.LoginAsync(null, CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => kv.PutAsync(Put).ResponseAsync));
        Assert.Equal(1, login.Logins);
        Assert.All(server.TokensSeen, t => Assert.Equal("t1", t));

        // The server forgot t1 (a restart, an eviction): a new login, and the put goes through with t2.
        Interlocked.Increment(ref server.Logins);
        await kv.PutAsync(Put).ResponseAsync;
        Assert.Equal(2, login.Logins);
        Assert.Equal(["t1", "t3"], server.TokensSeen.Skip(10));

        // A server that refuses every token: one retry, then the error.
        server.RefuseAll = true;
        var e = await Assert.ThrowsAsync<RpcException>(() => kv.PutAsync(Put).ResponseAsync);
        Assert.Equal("etcdserver: invalid auth token", e.Status.Detail);
        Assert.Equal(3, login.Logins);
    }
}
