package raftkv.transport;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.OptionalLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.PeerMessage;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.ReadIndexRequest;
import raftkv.proto.raft.ReadIndexResponse;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.VoteRequest;
import raftkv.security.NodeIdentity;

/**
 * With TLS on, admits a {@code raft.proto} call only from a node (SPEC section 8): the call must
 * come over TLS with a client certificate (checked against the cluster CA by the handshake) that
 * names a node ({@link NodeIdentity}), and every message's sender must be that node (on an
 * Exchange stream, the sender of each message's body). Anything
 * else is refused before {@link RaftPeerService} decodes it, so the Raft core never sees it:
 *
 * <ul>
 *   <li>no TLS, or no certificate: {@code UNAUTHENTICATED};
 *   <li>a certificate that names no node (a client's): {@code PERMISSION_DENIED};
 *   <li>a message whose sender ({@code candidate_id}, {@code leader_id}, a snapshot header's
 *       {@code leader_id}) is not the certificate's node: {@code PERMISSION_DENIED};
 *   <li>a message whose sender it cannot tell (an RPC added to raft.proto without a case here):
 *       {@code PERMISSION_DENIED}, so a new RPC is closed until someone decides who may send it.
 * </ul>
 *
 * <p>The checks run on the network thread and never block. Refusals are logged at WARN, at most
 * once per 30 s, with the caller's address.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {
    private static final Logger log = LoggerFactory.getLogger(PeerIdentityInterceptor.class);

    private final long selfId;
    private final LogLimiter warnings = new LogLimiter(Duration.ofSeconds(30));

    public PeerIdentityInterceptor(long selfId) {
        this.selfId = selfId;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        String rpc = call.getMethodDescriptor().getBareMethodName();
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return refuse(call, Status.UNAUTHENTICATED, rpc + " needs mutual TLS");
        }
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return refuse(call, Status.UNAUTHENTICATED, rpc + " needs a node certificate; the caller sent none");
        }
        OptionalLong node = chain.length > 0 && chain[0] instanceof X509Certificate x509
                ? NodeIdentity.nodeId(x509) : OptionalLong.empty();
        if (node.isEmpty()) {
            return refuse(call, Status.PERMISSION_DENIED, rpc + " is for nodes only: the caller's certificate names no node ("
                    + NodeIdentity.URI_PREFIX + "<Id>)");
        }
        long certified = node.getAsLong();
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            // Set once a message is refused: the call is closed and the handler hears nothing more of it.
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) return;
                OptionalLong sender = sender(message);
                if (sender.isPresent() && sender.getAsLong() == certified) {
                    super.onMessage(message);
                    return;
                }
                if (sender.isEmpty() && message instanceof SnapshotChunk) {
                    super.onMessage(message); // a later chunk of a stream whose header was checked
                    return;
                }
                refused = true;
                String why = sender.isEmpty() ? rpc + " refused: cannot tell who sends " + message.getClass().getSimpleName()
                        : rpc + " refused: the caller's certificate is node " + certified + "'s, the message claims node "
                        + sender.getAsLong();
                warn(call, why);
                call.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
            }

            @Override
            public void onHalfClose() {
                if (!refused) super.onHalfClose();
            }

            @Override
            public void onReady() {
                if (!refused) super.onReady();
            }
            // onCancel and onComplete go through: the handler may hold state for the call to release.
        };
    }

    /** Who the message says sent it; empty for a snapshot chunk without header, or a message of no known RPC. */
    static OptionalLong sender(Object message) {
        if (message instanceof VoteRequest m) return OptionalLong.of(m.getCandidateId());
        if (message instanceof AppendRequest m) return OptionalLong.of(m.getLeaderId());
        if (message instanceof TimeoutNowRequest m) return OptionalLong.of(m.getLeaderId());
        if (message instanceof ReadIndexRequest m) return OptionalLong.of(m.getFollowerId());
        if (message instanceof ReadIndexResponse m) return OptionalLong.of(m.getLeaderId());
        if (message instanceof SnapshotChunk m && m.hasHeader()) return OptionalLong.of(m.getHeader().getLeaderId());
        if (message instanceof PeerMessage m) {
            // An Exchange stream's requests; an answer or an empty body has no place from the caller.
            return switch (m.getBodyCase()) {
                case VOTE_REQUEST -> sender(m.getVoteRequest());
                case APPEND_REQUEST -> sender(m.getAppendRequest());
                case TIMEOUT_NOW -> sender(m.getTimeoutNow());
                case READ_INDEX -> sender(m.getReadIndex());
                case READ_INDEX_REPLY -> sender(m.getReadIndexReply());
                default -> OptionalLong.empty();
            };
        }
        return OptionalLong.empty();
    }

    private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, String why) {
        warn(call, why);
        call.close(status.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() {};
    }

    private void warn(ServerCall<?, ?> call, String why) {
        Object from = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (warnings.allow()) log.warn("node {}: peer call from {} refused: {}", selfId, from, why);
        else log.debug("node {}: peer call from {} refused: {}", selfId, from, why);
    }
}
