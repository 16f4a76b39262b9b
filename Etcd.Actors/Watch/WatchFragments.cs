using Etcd.Api.Etcdserverpb;
using Google.Protobuf;

namespace Etcd.Actors.Watch;

/// <summary>
/// etcd's sendFragments (v3rpc/watch.go): a response for a watcher created with fragment=true that is at least
/// <c>maxBytes</c> is sent as several, each with as many events as stay under the limit (at least one), all but the
/// last marked fragment; clientv3 joins them again. Responses with fewer than two events go whole.
/// </summary>
public static class WatchFragments
{
    public static IEnumerable<WatchResponse> Split(WatchResponse response, int maxBytes)
    {
        var events = response.Events;
        if (events.Count < 2 || response.CalculateSize() < maxBytes)
        {
            yield return response;
            yield break;
        }
        var i = 0;
        while (i < events.Count)
        {
            var part = new WatchResponse
            {
                Header = response.Header, WatchId = response.WatchId, CompactRevision = response.CompactRevision,
                Created = response.Created, Canceled = response.Canceled, CancelReason = response.CancelReason, Fragment = true,
            };
            var size = part.CalculateSize();
            while (i < events.Count)
            {
                // The field's tag (1 byte) and length prefix come with each event.
                var eventSize = 1 + CodedOutputStream.ComputeMessageSize(events[i]);
                if (part.Events.Count > 0 && size + eventSize >= maxBytes) break;
                part.Events.Add(events[i]);
                size += eventSize;
                i++;
            }
            if (i == events.Count) part.Fragment = false;
            yield return part;
        }
    }
}
