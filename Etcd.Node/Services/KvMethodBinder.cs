using System.Buffers;
using System.Reflection;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// Takes the methods etcdserverpb.KV's generated BindService declares and adds each to Grpc.AspNetCore as a call of
/// the same-named method of <see cref="KvService"/>, with the generated method definition and the attributes
/// Grpc.AspNetCore's own binder would pass on, except that Range's and Txn's response marshallers empty the response's
/// key-values (a Txn's operation responses) once they have written them. Why: a response that survived a collection
/// before it was written (a range's is made when its read begins, and 100 clients' reads keep the collector busy) sits
/// in an older generation, and once the call is over it is garbage there until that generation is collected; until
/// then its arrays are roots for every young collection, which promote each KeyValue and value array they point to.
/// A heap dump in the middle of such a load found no response reachable, yet the same build with and without the
/// release served 479–530 against 374–401 ranges/s of 1,000 keys at 1.7–2.0 against 2.5–2.7 ms of CPU each
/// (docs/benchmarks.md "Ranges read oldest first"). The response is the call's own (RangeCursor builds one per read,
/// KvStore.Txn one per transaction, and nothing keeps either after the call), so nothing reads it after it is written.
/// </summary>
internal sealed class KvMethodBinder(ServiceMethodProviderContext<KvService> context) : ServiceBinderBase
{
    /// <summary>
    /// Range's response marshaller: the generated serialization, then the key-values let go; for a response whose
    /// key-values came as bytes (EncodedRanges: a large range read in steps), those bytes where the generated
    /// serializer writes <c>Kvs</c>, and then back to their pool.
    /// </summary>
    internal static readonly Marshaller<RangeResponse> RangeResponseMarshaller = Create(RangeResponse.Parser, SerializeRange);

    /// <summary>Txn's: the same for the responses of its operations (a read-only Txn's ranges are as large as a Range's).</summary>
    internal static readonly Marshaller<TxnResponse> TxnResponseMarshaller =
        Create(TxnResponse.Parser, (response, serialization) => WriteThenRelease(response, serialization, r => r.Responses.Clear()));

    // By response type: each is the response of one KV method.
    private static readonly Dictionary<Type, object> ReleasingMarshallers = new()
    {
        [typeof(RangeResponse)] = RangeResponseMarshaller,
        [typeof(TxnResponse)] = TxnResponseMarshaller,
    };

    private static Marshaller<T> Create<T>(MessageParser<T> parser, Action<T, SerializationContext> serialize) where T : class, IMessage<T> =>
        Marshallers.Create(serialize, deserialization => parser.ParseFrom(deserialization.PayloadAsReadOnlySequence()));

    /// <summary>The generated serialization of <paramref name="response"/>, then <paramref name="release"/> lets go of its values.</summary>
    private static void WriteThenRelease<T>(T response, SerializationContext serialization, Action<T> release) where T : IMessage<T>
    {
        serialization.SetPayloadLength(response.CalculateSize());
        response.WriteTo(serialization.GetBufferWriter());
        serialization.Complete();
        release(response);
    }

    private static void SerializeRange(RangeResponse response, SerializationContext serialization)
    {
        if (!EncodedRangeBody.TryTake(response, out var encoded))
        {
            WriteThenRelease(response, serialization, r => r.Kvs.Clear());
            return;
        }
        try
        {
            // Kvs is empty: these are the other fields, in field order, the header (1) first. The generated serializer
            // writes kvs (2) right after the header and before more (3) and count (4), so the bytes are the same as
            // for the response with its key-values in Kvs (KvMethodBinderSpecs).
            var rest = response.ToByteArray();
            var headerBytes = response.Header is { } header ? 1 + CodedOutputStream.ComputeMessageSize(header) : 0;
            var total = rest.Length + encoded.Length;
            if (total > int.MaxValue) throw new RpcException(new Status(StatusCode.ResourceExhausted, $"grpc: trying to send message larger than max ({total} vs. {int.MaxValue})"));
            serialization.SetPayloadLength((int)total);
            var writer = serialization.GetBufferWriter();
            writer.Write(rest.AsSpan(0, headerBytes));
            encoded.WriteTo(writer);
            writer.Write(rest.AsSpan(headerBytes));
            serialization.Complete();
        }
        finally
        {
            encoded.Release();
        }
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
    {
        var handlerMethod = typeof(KvService).GetMethod(method.Name, BindingFlags.Public | BindingFlags.Instance, [typeof(TRequest), typeof(ServerCallContext)])
            ?? throw new InvalidOperationException($"KvService has no {method.Name}({typeof(TRequest).Name}, ServerCallContext)");
        var invoker = handlerMethod.CreateDelegate<UnaryServerMethod<KvService, TRequest, TResponse>>();
        if (ReleasingMarshallers.TryGetValue(typeof(TResponse), out var releasing))
            method = new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, method.RequestMarshaller, (Marshaller<TResponse>)releasing);
        // As Grpc.AspNetCore's binder: the service's attributes, then the handler's (authorization, CORS, ...).
        var metadata = new List<object>(typeof(KvService).GetCustomAttributes(inherit: true));
        metadata.AddRange(handlerMethod.GetCustomAttributes(inherit: true));
        context.AddUnaryMethod(method, metadata, invoker);
    }

    // KV has unary methods only; a streaming one would need a handler of its own here.
    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
        throw new NotSupportedException($"KV.{method.Name} is not unary");

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
        throw new NotSupportedException($"KV.{method.Name} is not unary");

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
        throw new NotSupportedException($"KV.{method.Name} is not unary");
}
