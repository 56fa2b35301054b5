package raftkv.transport;

import io.grpc.Status;

/**
 * What the transport knows about one peer's link, for status pages, logs and tests. Counters are
 * totals since the transport was created.
 *
 * @param peerId           the peer's node id
 * @param target           the peer's "host:port"
 * @param sent             calls started (each InstallSnapshot stream counts as one call)
 * @param answered         calls the peer answered (whether or not the answer was usable)
 * @param failed           calls that ended in a gRPC error (deadline, peer down, message too large ...)
 * @param dropped          messages never sent: over the outstanding bound, after close, blocked by a
 *                         test partition hook, or snapshot requests while a transfer to the peer runs
 *                         or with no snapshot recent enough to send
 * @param outstandingCalls calls started and not yet ended
 * @param outstandingBytes encoded size of those calls
 * @param reachable        whether the last call that ended reached the peer (false before any call ended)
 * @param lastFailure      the status code of the last failed call, or null if none failed
 * @param snapshotBytes    snapshot bytes sent in InstallSnapshot chunks, resent ones included
 * @param messageBytes     encoded bytes of the calls started through the link's bound (every message but
 *                         InstallSnapshot streams)
 */
public record PeerStats(long peerId, String target, long sent, long answered, long failed, long dropped,
                        int outstandingCalls, long outstandingBytes, boolean reachable, Status.Code lastFailure,
                        long snapshotBytes, long messageBytes) {}
