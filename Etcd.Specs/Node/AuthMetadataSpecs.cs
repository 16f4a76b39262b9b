using Etcd.Actors.Server;
using Etcd.Node.Services;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>
/// <see cref="AuthMetadata.Token"/> on every call (docs/benchmarks.md "Client path of a put"): the token comes from the
/// HTTP/2 request's own headers, never through the call's <see cref="ServerCallContext.RequestHeaders"/> (a copy of every
/// header per call), and a call without one creates no per-request items unless the client-certificate middleware did.
/// </summary>
public sealed class AuthMetadataSpecs
{
    [Fact]
    public void The_token_is_read_without_copying_the_call_s_headers()
    {
        var http = new DefaultHttpContext();
        http.Request.Headers["token"] = "abc.12";
        http.Request.Headers["user-agent"] = "grpc-go/1.26";

        // The fake fails the spec if anything asks for the Metadata copy.
        Assert.Equal("abc.12", AuthMetadata.Token(new FakeCall(http)));
    }

    [Fact]
    public void A_call_without_a_token_or_certificate_names_nobody_and_creates_no_items()
    {
        var http = new DefaultHttpContext();

        Assert.Null(AuthMetadata.Token(new FakeCall(http)));
        Assert.Null(http.Features.Get<IItemsFeature>());
    }

    [Fact]
    public void The_verified_common_name_is_the_credential_without_a_token()
    {
        var http = new DefaultHttpContext();
        http.Items[ClientCommonName.ItemKey] = "alice";

        Assert.Equal(CertificateCredential.For("alice"), AuthMetadata.Token(new FakeCall(http)));
    }

    [Fact]
    public void A_token_wins_over_the_common_name_and_never_passes_for_a_credential()
    {
        var http = new DefaultHttpContext();
        http.Items[ClientCommonName.ItemKey] = "alice";
        http.Request.Headers["token"] = "abc.12";
        Assert.Equal("abc.12", AuthMetadata.Token(new FakeCall(http)));

        http.Request.Headers["token"] = CertificateCredential.For("root");
        var token = AuthMetadata.Token(new FakeCall(http));
        Assert.NotNull(token);
        Assert.False(CertificateCredential.TryGetUser(token, out _));
    }

    [Fact]
    public void Without_a_token_entry_the_authorization_entry_is_the_token_as_it_is()
    {
        // etcd's AuthInfoFromCtx reads md["token"], else md["authorization"] (rpctypes.TokenFieldNameSwagger).
        var http = new DefaultHttpContext();
        http.Items[ClientCommonName.ItemKey] = "alice";
        http.Request.Headers["authorization"] = "Bearer abc.12";
        Assert.Equal("Bearer abc.12", AuthMetadata.Token(new FakeCall(http)));

        http.Request.Headers["token"] = "def.13";
        Assert.Equal("def.13", AuthMetadata.Token(new FakeCall(http)));

        http.Request.Headers.Remove("token");
        http.Request.Headers["authorization"] = CertificateCredential.For("root");
        Assert.False(CertificateCredential.TryGetUser(AuthMetadata.Token(new FakeCall(http))!, out _));
        http.Request.Headers["authorization"] = "";
        var empty = AuthMetadata.Token(new FakeCall(http));
        Assert.False(string.IsNullOrEmpty(empty)); // a token, and an invalid one, not "no token"
        Assert.False(CertificateCredential.TryGetUser(empty!, out _));
    }

    [Fact]
    public void An_entry_sent_as_two_fields_reads_as_its_first_as_etcd_s_AuthInfoFromCtx()
    {
        // etcd takes md["token"][0]; grpc-go keeps one value per header field.
        var http = new DefaultHttpContext();
        http.Request.Headers.Append("token", "a.1");
        http.Request.Headers.Append("token", "b.2");

        Assert.Equal("a.1", AuthMetadata.Token(new FakeCall(http)));
    }

    /// <summary>A call whose HttpContext is <paramref name="http"/> (how Grpc.AspNetCore's GetHttpContext finds it outside
    /// Kestrel) and whose RequestHeaders may not be read.</summary>
    private sealed class FakeCall(HttpContext http) : ServerCallContext
    {
        private readonly Dictionary<object, object> _state = new() { ["__HttpContext"] = http };

        protected override IDictionary<object, object> UserStateCore => _state;
        protected override Metadata RequestHeadersCore =>
            throw new InvalidOperationException("RequestHeaders copies every header of the call");
        protected override string MethodCore => "/etcdserverpb.KV/Put";
        protected override string HostCore => "127.0.0.1";
        protected override string PeerCore => "ipv4:127.0.0.1:1";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override CancellationToken CancellationTokenCore => CancellationToken.None;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore => new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
            throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
