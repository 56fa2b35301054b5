package raftkv.cli;

import com.google.protobuf.ByteString;
import raftkv.proto.kv.MemberChangeRequest;
import raftkv.proto.kv.MemberChangeResponse;
import raftkv.proto.kv.MemberListRequest;
import raftkv.proto.kv.MemberListResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.MoveLeaderRequest;
import raftkv.proto.kv.RequestId;
import raftkv.proto.kv.SaveSnapshotRequest;
import raftkv.proto.kv.SetRequest;
import raftkv.proto.kv.SnapshotData;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;

/**
 * A client of kv.proto's KeyValue service over a list of endpoints, any of which may be down.
 *
 * <p>Each call goes first to the leader named by the latest {@code raftkv-leader} hint, then to
 * the endpoints in order. An endpoint that answers UNAVAILABLE (down, unreachable, or no leader
 * known) makes the client try the next one, or the leader it names; after a whole round of
 * failures the client waits briefly and tries up to {@value #MAX_ROUNDS} rounds in all. Every
 * call has a deadline: what is left of the client's timeout for the whole operation. Any other
 * answer (success, NOT_FOUND, FAILED_PRECONDITION, ...) ends the operation.
 *
 * <p>Writes carry a RequestId: this client's random non-zero client id and a sequence that
 * grows by one per write. Every retry of one write reuses its id, so the write takes effect
 * exactly once whichever node ends up executing it. Since the cluster remembers only a client
 * id's newest write, one client must have one write in flight at a time: threads that write
 * concurrently each take a {@link #newSession()}.
 */
public final class KvClient implements AutoCloseable {
    static final Metadata.Key<String> LEADER_KEY = Metadata.Key.of("raftkv-leader", Metadata.ASCII_STRING_MARSHALLER);
    static final int MAX_ROUNDS = 3;
    private static final long FIRST_BACKOFF_MS = 100;

    private final Channels channels;
    private final boolean ownsChannels;
    private final List<Endpoint> endpoints;
    private final Duration timeout;
    private final LongSupplier random;
    private final long clientId;
    // Invariant: the sequence of the last write sent; the next write takes one more.
    private final AtomicLong sequence = new AtomicLong();
    // Shared by the sessions of one client: all of them may send straight to the leader.
    private final AtomicReference<Endpoint> leaderHint;
    private final LongAdder failedAttempts;
    private final ClientInterceptor hintRecorder = new HintRecorder();
    // A spread session sends each call first to an endpoint picked at random, not to the leader.
    private final boolean spread;

    private KvClient(Channels channels, boolean ownsChannels, List<Endpoint> endpoints, Duration timeout,
                     LongSupplier random, AtomicReference<Endpoint> leaderHint, LongAdder failedAttempts,
                     boolean spread) {
        if (endpoints.isEmpty()) throw new IllegalArgumentException("no endpoints");
        this.channels = channels;
        this.ownsChannels = ownsChannels;
        this.endpoints = List.copyOf(endpoints);
        this.timeout = timeout;
        this.random = random;
        this.leaderHint = leaderHint;
        this.failedAttempts = failedAttempts;
        this.spread = spread;
        long id;
        do {
            id = random.getAsLong();
        } while (id == 0);
        this.clientId = id;
    }

    /** A client with its own channels, closed by {@link #close()}. */
    public static KvClient open(List<Endpoint> endpoints, Duration timeout, int maxMessageBytes, String userAgent) {
        return open(endpoints, timeout, maxMessageBytes, userAgent, InsecureChannelCredentials.create());
    }

    /** As above, dialling with {@code credentials} (TLS, see {@link ClientTls}). */
    public static KvClient open(List<Endpoint> endpoints, Duration timeout, int maxMessageBytes, String userAgent,
                                ChannelCredentials credentials) {
        SecureRandom random = new SecureRandom();
        return new KvClient(new Channels(maxMessageBytes, userAgent, credentials), true, endpoints, timeout, random::nextLong,
                new AtomicReference<>(), new LongAdder(), false);
    }

    /**
     * Another client over the same channels and leader hint, with its own client id and sequence,
     * for another thread's writes. Closing it leaves the channels open for the others.
     */
    public KvClient newSession() {
        return new KvClient(channels, false, endpoints, timeout, random, leaderHint, failedAttempts, false);
    }

    /**
     * A {@link #newSession()} that sends each call first to an endpoint picked at random rather
     * than to the leader it knows of (followers forward), as a load spread over every node would;
     * failing over as any session does. For benchmarks.
     */
    public KvClient newSpreadSession() {
        return new KvClient(channels, false, endpoints, timeout, random, leaderHint, failedAttempts, true);
    }

    public long clientId() {
        return clientId;
    }

    /** Attempts that failed with UNAVAILABLE and were tried again elsewhere, over this client and its sessions. */
    public long failedAttempts() {
        return failedAttempts.sum();
    }

    /** Stores {@code value}; returns the new version. */
    public long set(ByteString key, ByteString value, long ttlSeconds) {
        SetRequest req = SetRequest.newBuilder().setKey(key).setValue(value).setTtlSeconds(ttlSeconds)
                .setRequestId(nextRequestId()).build();
        return call("set " + show(key), true, stub -> stub.set(req)).getVersion();
    }

    public GetResponse get(ByteString key) {
        GetRequest req = GetRequest.newBuilder().setKey(key).build();
        return call("get " + show(key), false, stub -> stub.get(req));
    }

    public GetMetaResponse getMeta(ByteString key) {
        GetMetaRequest req = GetMetaRequest.newBuilder().setKey(key).build();
        return call("getm " + show(key), false, stub -> stub.getMeta(req));
    }

    /** Compare-and-set; returns the new version. FAILED_PRECONDITION if the key is at another version. */
    public long cas(ByteString key, long expectedVersion, ByteString value, long ttlSeconds) {
        CasRequest req = CasRequest.newBuilder().setKey(key).setExpectedVersion(expectedVersion).setValue(value)
                .setTtlSeconds(ttlSeconds).setRequestId(nextRequestId()).build();
        return call("cas " + show(key) + " " + expectedVersion, true, stub -> stub.cas(req)).getVersion();
    }

    public void delete(ByteString key) {
        DeleteRequest req = DeleteRequest.newBuilder().setKey(key).setRequestId(nextRequestId()).build();
        call("delete " + show(key), true, stub -> stub.delete(req));
    }

    /** Hands leadership to node {@code target}; returns the term in which it leads. */
    public long moveLeader(long target) {
        MoveLeaderRequest req = MoveLeaderRequest.newBuilder().setTargetId(target).build();
        return call("move-leader " + target, false, stub -> stub.moveLeader(req)).getTerm();
    }

    /** Where {@link #saveSnapshot} writes: each attempt starts the output afresh. */
    public interface SnapshotSink {
        /** An output for a new attempt, empty: what an earlier attempt wrote is discarded. */
        java.io.OutputStream restart() throws java.io.IOException;
    }

    /**
     * Streams a consistent snapshot from the leader (kv.proto SaveSnapshot) into {@code sink},
     * failing over as any call does (a follower names the leader); {@code timeout} bounds the
     * whole operation. Returns the bytes received. The caller checks them.
     */
    public long saveSnapshot(SnapshotSink sink, Duration timeout) {
        SaveSnapshotRequest req = SaveSnapshotRequest.getDefaultInstance();
        return call("snapshot save", false, timeout, stub -> {
            try {
                java.io.OutputStream out = sink.restart();
                long bytes = 0;
                for (java.util.Iterator<SnapshotData> it = stub.saveSnapshot(req); it.hasNext(); ) {
                    ByteString data = it.next().getData();
                    data.writeTo(out);
                    bytes += data.size();
                }
                out.flush();
                return bytes;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** The members, from the leader when one is known (it alone knows match indexes). */
    public MemberListResponse memberList() {
        MemberListRequest req = MemberListRequest.getDefaultInstance();
        return call("member list", false, stub -> stub.memberList(req));
    }

    /** One membership change, answered once committed; {@code what} names it in errors ("member add 4"). */
    public MemberChangeResponse memberChange(String what, MemberChangeRequest req) {
        return call(what, false, stub -> stub.memberChange(req));
    }

    /**
     * One node's Status, from that endpoint only (never failed over), with the given deadline:
     * completes with a KvFailure if it does not answer.
     */
    public CompletableFuture<StatusResponse> status(Endpoint endpoint, Duration deadline) {
        CompletableFuture<StatusResponse> result = new CompletableFuture<>();
        KeyValueGrpc.newStub(channels.get(endpoint)).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
                .status(StatusRequest.getDefaultInstance(), new StreamObserver<>() {
                    @Override
                    public void onNext(StatusResponse value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        Status s = Status.fromThrowable(t);
                        result.completeExceptionally(new KvFailure(s.getCode(), endpoint + ": " + describe(s)));
                    }

                    @Override
                    public void onCompleted() {
                        result.completeExceptionally(new KvFailure(Status.Code.INTERNAL, endpoint + ": no response"));
                    }
                });
        return result;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    @Override
    public void close() {
        if (ownsChannels) channels.close();
    }

    private RequestId nextRequestId() {
        return RequestId.newBuilder().setClientId(clientId).setSequence(sequence.incrementAndGet()).build();
    }

    /** Runs {@code rpc} on the hinted leader, then the endpoints in order, until an answer other than UNAVAILABLE. */
    private <T> T call(String what, boolean write, Function<KeyValueGrpc.KeyValueBlockingStub, T> rpc) {
        return call(what, write, timeout, rpc);
    }

    private <T> T call(String what, boolean write, Duration timeout, Function<KeyValueGrpc.KeyValueBlockingStub, T> rpc) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<Endpoint, String> failures = new LinkedHashMap<>();
        long backoffMs = FIRST_BACKOFF_MS;
        for (int round = 1; ; round++) {
            Deque<Endpoint> plan = new ArrayDeque<>(plan());
            Set<Endpoint> tried = new HashSet<>();
            while (!plan.isEmpty()) {
                Endpoint endpoint = plan.poll();
                if (!tried.add(endpoint)) continue;
                long left = deadline - System.nanoTime();
                if (left <= 0) throw timedOut(what, write, failures);
                try {
                    return rpc.apply(KeyValueGrpc.newBlockingStub(channels.get(endpoint))
                            .withInterceptors(hintRecorder)
                            .withDeadlineAfter(left, TimeUnit.NANOSECONDS));
                } catch (StatusRuntimeException e) {
                    Status status = e.getStatus();
                    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
                        failures.put(endpoint, describe(status));
                        throw timedOut(what, write, failures);
                    }
                    if (status.getCode() != Status.Code.UNAVAILABLE) throw answered(what, status);
                    failedAttempts.increment();
                    failures.put(endpoint, describe(status));
                    Endpoint hint = hint(e.getTrailers());
                    if (hint != null && !hint.equals(endpoint)) {
                        plan.addFirst(hint);
                    } else {
                        // The hinted leader is gone or no longer leads; go back to the list.
                        leaderHint.compareAndSet(endpoint, null);
                    }
                }
            }
            long left = deadline - System.nanoTime();
            if (round >= MAX_ROUNDS || left <= 0) throw unavailable(what, write, failures);
            pause(Math.min(backoffMs, TimeUnit.NANOSECONDS.toMillis(left)));
            backoffMs *= 2;
        }
    }

    private List<Endpoint> plan() {
        Set<Endpoint> order = new LinkedHashSet<>();
        if (spread) order.add(endpoints.get(ThreadLocalRandom.current().nextInt(endpoints.size())));
        Endpoint hint = leaderHint.get();
        if (hint != null) order.add(hint);
        order.addAll(endpoints);
        return new ArrayList<>(order);
    }

    private static void pause(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvFailure(Status.Code.CANCELLED, "interrupted");
        }
    }

    private static KvFailure answered(String what, Status status) {
        String message = switch (status.getCode()) {
            case NOT_FOUND -> what + ": key not found";
            case FAILED_PRECONDITION -> what.startsWith("member ")
                    ? what + ": refused, nothing changed: " + orCode(status)
                    : what + ": version mismatch: the key is no longer at that version; nothing was written";
            case INVALID_ARGUMENT -> what + ": rejected by the server: " + orCode(status);
            case RESOURCE_EXHAUSTED -> status.getDescription() != null && status.getDescription().startsWith("store quota")
                    ? what + ": the store is full: " + status.getDescription()
                    : what + ": message over the size limit: " + orCode(status)
                    + "; for a cluster with a larger maxValueBytes raise --max-message";
            case ABORTED -> what + ": request id too old: " + orCode(status);
            default -> what + ": " + status.getCode() + ": " + orCode(status);
        };
        return new KvFailure(status.getCode(), message);
    }

    private static KvFailure unavailable(String what, boolean write, Map<Endpoint, String> failures) {
        return new KvFailure(Status.Code.UNAVAILABLE, what + ": cluster unavailable" + unknownOutcome(write) + ": "
                + summarise(failures));
    }

    private static KvFailure timedOut(String what, boolean write, Map<Endpoint, String> failures) {
        return new KvFailure(Status.Code.DEADLINE_EXCEEDED, what + ": timed out" + unknownOutcome(write)
                + (failures.isEmpty() ? "" : ": " + summarise(failures)));
    }

    private static String unknownOutcome(boolean write) {
        return write ? " (the write may or may not have taken effect)" : "";
    }

    private static String summarise(Map<Endpoint, String> failures) {
        return failures.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("; "));
    }

    static String describe(Status status) {
        Throwable cause = status.getCause();
        String why = status.getDescription();
        if (cause != null && cause.getMessage() != null) {
            // "io exception" says nothing; "Connection refused: localhost/127.0.0.1:9000" does.
            why = cause.getMessage();
        }
        String tls = tlsReason(cause);
        if (tls != null) why = "TLS: " + tls;
        return status.getCode() + (why == null || why.isBlank() ? "" : " (" + ExitCodes.oneLine(why) + ")");
    }

    /**
     * The innermost reason of a failed TLS handshake ("No subject alternative DNS name matching
     * localhost found", a certificate the CA did not issue), or null: the outer exceptions of an
     * SSL engine often say only "General OpenSslEngine problem".
     */
    private static String tlsReason(Throwable cause) {
        boolean tls = false;
        String reason = null;
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.cert.CertificateException) tls = true;
            if (tls && t.getMessage() != null && !t.getMessage().isBlank()) reason = t.getMessage();
        }
        return reason;
    }

    private static String orCode(Status status) {
        return status.getDescription() == null ? status.getCode().toString() : ExitCodes.oneLine(status.getDescription());
    }

    private static String show(ByteString key) {
        return key.toStringUtf8();
    }

    private static Endpoint hint(Metadata trailers) {
        String value = trailers == null ? null : trailers.get(LEADER_KEY);
        if (value == null) return null;
        try {
            return Endpoint.parse(value);
        } catch (IllegalArgumentException e) {
            return null; // a hint, not a contract: a malformed one is ignored
        }
    }

    /** Remembers the leader named in the trailers of every answer, success or error. */
    private final class HintRecorder implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            Endpoint hint = hint(trailers);
                            if (hint != null) leaderHint.set(hint);
                            super.onClose(status, trailers);
                        }
                    }, headers);
                }
            };
        }
    }
}
