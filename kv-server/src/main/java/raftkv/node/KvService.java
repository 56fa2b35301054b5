package raftkv.node;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import raftkv.config.ClusterConfig;
import raftkv.config.ServerSpec;
import raftkv.kv.Keys;
import raftkv.kv.RequestId;
import raftkv.proto.KvRules;
import raftkv.raft.RaftCore;

/**
 * The key-value service behind both front doors. It validates a command, hands it to the local
 * node, and when the node is not the leader forwards it to the leader (or, with
 * {@code "forward": false}, redirects the client). Until the request timeout it retries what is
 * safe to retry: any read, a write that certainly did not take effect, and a write with a request
 * id (which the state machine applies at most once).
 */
public final class KvService implements KvApi {
    private static final long FIRST_RETRY_MS = 20;
    private static final long MAX_RETRY_MS = 200;

    private final CommandSink node;
    private final ClusterConfig config;
    private final Forwarder forwarder;
    private final Timer timer;
    private final Clock clock;
    // Where each node is reached: the config's servers, or, with membership changes, the log's members.
    private java.util.function.LongFunction<ServerSpec> addresses;
    // The members and their addresses as this node last applied them; null where nobody wired them
    // (the simulator's nodes): then this node is taken to be a member.
    private MemberAddresses members;
    // While this node is outside the membership (removed, or waiting to join), no leader contacts
    // it, so its own Raft state cannot name the leader: the leader a member named in its last answer
    // to a forwarded command, tried first, or RaftCore.NONE.
    private volatile long leaderNamedByMembers = RaftCore.NONE;
    // When (clock nanos) a member last named leaderNamedByMembers, or executed a command as leader.
    private volatile long leaderNamedAtNanos;

    /** Looks nodes' addresses up in {@code addresses} (membership changes add nodes the config does not name). */
    public KvService withAddresses(java.util.function.LongFunction<ServerSpec> addresses) {
        this.addresses = addresses;
        return this;
    }

    /**
     * Looks nodes up in {@code members}, and lets this node tell when it is outside the membership:
     * it then asks the members who leads instead of naming a guess (see {@link #outsideMembership}).
     */
    public KvService withMembers(MemberAddresses members) {
        this.members = members;
        this.addresses = members::spec;
        return this;
    }

    public KvService(CommandSink node, ClusterConfig config, Forwarder forwarder, Timer timer, Clock clock) {
        this.node = node;
        this.config = config;
        this.addresses = id -> config.servers().stream().filter(s -> s.id() == id).findFirst().orElse(null);
        this.forwarder = forwarder;
        this.timer = timer;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<KvResult> execute(KvRequest request) {
        return execute(request, true);
    }

    /**
     * @param mayForward false for a command another node forwarded here: it is executed here or
     *                   answered {@link KvResult.Redirect} to the leader (certainly not executed), or
     *                   {@link KvResult.Unavailable}; never forwarded again
     */
    public CompletableFuture<KvResult> execute(KvRequest request, boolean mayForward) {
        KvResult invalid = validate(request);
        if (invalid != null) return CompletableFuture.completedFuture(invalid);
        if (request instanceof KvRequest.Cas cas && cas.expectedVersion() <= 0) {
            return execute(new KvRequest.Get(cas.key()), mayForward).thenApply(KvService::casMatchingNoVersion);
        }
        CompletableFuture<KvResult> promise = new CompletableFuture<>();
        long deadline = clock.nanos() + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        long leader = forwardsWrites(request, mayForward) ? node.knownLeader() : RaftCore.NONE;
        if (leader != RaftCore.NONE && leader != node.id() && !outsideMembership()) {
            // A follower that knows its leader sends a write there at once, on the caller's thread:
            // the node would only answer NotExecuted naming that leader. A stale leader answers
            // Redirect (nothing executed) and the write goes through the node as below.
            notExecutedHere(request, true, deadline, FIRST_RETRY_MS, promise, leader);
        } else {
            attempt(request, mayForward, deadline, FIRST_RETRY_MS, promise);
        }
        return promise;
    }

    /** Writes a follower forwards (reads it serves itself, SPEC 4); never with {@code "forward": false}. */
    private boolean forwardsWrites(KvRequest request, boolean mayForward) {
        return mayForward && config.forward() && !(request instanceof KvRequest.Get || request instanceof KvRequest.GetMeta);
    }

    private void attempt(KvRequest request, boolean mayForward, long deadline, long backoffMs,
                         CompletableFuture<KvResult> promise) {
        node.submit(request, deadline).whenComplete((outcome, error) -> {
            if (error != null) {
                promise.complete(new KvResult.Internal(error.toString()));
            } else if (outcome instanceof NodeStep.Outcome.Done done) {
                if (done.result() instanceof KvResult.Unavailable u && safeToRetry(request)) {
                    // Outcome unknown here (this node stopped, or jumped to a snapshot): a read, or a
                    // write that applies at most once, may be sent again until the deadline.
                    retryLater(request, mayForward, deadline, backoffMs, promise, u.reason());
                } else {
                    promise.complete(done.result());
                }
            } else {
                long leader = ((NodeStep.Outcome.NotExecuted) outcome).leaderHint();
                notExecutedHere(request, mayForward, deadline, backoffMs, promise, leader);
            }
        });
    }

    private void notExecutedHere(KvRequest request, boolean mayForward, long deadline, long backoffMs,
                                 CompletableFuture<KvResult> promise, long leader) {
        if (mayForward && outsideMembership()) {
            askMembers(request, deadline, backoffMs, promise, leader, false);
            return;
        }
        if (leader == RaftCore.NONE) {
            // No leader yet (an election is running): wait for one.
            retryLater(request, mayForward, deadline, backoffMs, promise, "no leader elected");
            return;
        }
        if (leader == node.id()) {
            // This node holds as many client commands as it may (RaftNode's bytes in flight), or
            // leads but cannot serve yet: certainly not executed, so it is tried again after a pause.
            retryLater(request, mayForward, deadline, backoffMs, promise, "this node is busy");
            return;
        }
        ServerSpec spec = addresses.apply(leader);
        if (spec == null) {
            // A leader added by a membership change this node has not yet applied: wait for the log.
            retryLater(request, mayForward, deadline, backoffMs, promise, "leader " + leader + "'s address unknown yet");
            return;
        }
        if (!config.forward() || !mayForward) {
            // Certainly not executed here: the client (or the node that forwarded it) goes to the leader.
            promise.complete(new KvResult.Redirect(spec.clientAddress(), spec.logAddress()));
        } else {
            forwarder.forward(spec, request, deadline).whenComplete((result, error) -> {
                if (error == null && result instanceof KvResult.Redirect) {
                    // That node no longer leads (a new election, a handover): nothing was executed.
                    retryLater(request, true, deadline, backoffMs, promise, "node " + leader + " no longer leads");
                } else if (error == null && !(result instanceof KvResult.Unavailable)) {
                    promise.complete(result);
                } else if (safeToRetry(request)) {
                    retryLater(request, true, deadline, backoffMs, promise, "leader " + leader + " unreachable");
                } else {
                    promise.complete(error == null ? result : new KvResult.Unavailable(error.toString(), spec.logAddress()));
                }
            });
        }
    }

    /**
     * Whether this node is outside the membership it last applied (removed, or started with
     * {@code --join} and not yet added). No leader sends it anything, so the leader its Raft state
     * names is stale (the one that removed it) or none, and it is no follower that knows the leader
     * (SPEC 4, ERR_REDIRECT). It asks the members instead.
     */
    private boolean outsideMembership() {
        if (members == null) return false;
        raftkv.raft.Membership m = members.membership();
        return m != null && !m.contains(node.id());
    }

    /**
     * A node outside the membership forwards the command to the leader a member last named, else to
     * the voter its node step offers ({@code voter}, the voters in turn), whatever {@code "forward"}
     * says: a member executes it if it leads, or answers that it was not executed and who leads. That
     * leader is remembered and tried first from then on; with {@code "forward": false} the client is
     * sent to it ({@code ERR_REDIRECT} naming the leader, as a follower would; for an election
     * timeout without asking again), never to a guess, so that a client following redirects reaches
     * the leader instead of going round the voters.
     */
    private void askMembers(KvRequest request, long deadline, long backoffMs, CompletableFuture<KvResult> promise,
                            long voter, boolean followed) {
        long named = leaderNamedByMembers;
        raftkv.raft.Membership m = members.membership();
        if (named != RaftCore.NONE && !m.isVoter(named)) named = RaftCore.NONE;
        if (named != RaftCore.NONE && !config.forward() && !followed && recentlyNamed()) {
            // Named within an election timeout: the client goes there itself, as it would from a follower.
            ServerSpec leader = addresses.apply(named);
            if (leader != null) {
                promise.complete(new KvResult.Redirect(leader.clientAddress(), leader.logAddress()));
                return;
            }
        }
        long target = named != RaftCore.NONE ? named : voter;
        ServerSpec spec = target == RaftCore.NONE || target == node.id() ? null : addresses.apply(target);
        if (spec == null) {
            retryLater(request, true, deadline, backoffMs, promise, "no member to ask who leads");
            return;
        }
        forwarder.forward(spec, request, deadline).whenComplete((result, error) -> {
            if (error == null && result instanceof KvResult.Redirect r) {
                // Certainly not executed there; the answer names the leader (or nobody, mid-election).
                ServerSpec leader = memberAt(r.leaderPeerAddress());
                long leaderId = leader == null || leader.id() == target ? RaftCore.NONE : leader.id();
                named(leaderId);
                if (leaderId != RaftCore.NONE && !config.forward()) {
                    promise.complete(new KvResult.Redirect(leader.clientAddress(), leader.logAddress()));
                } else if (leaderId != RaftCore.NONE && !followed) {
                    // The leader is known now: straight there, without a pause (once: a leader that
                    // has just changed again is tried after the usual pause).
                    askMembers(request, deadline, backoffMs, promise, leaderId, true);
                } else {
                    retryLater(request, true, deadline, backoffMs, promise, "node " + target + " does not lead");
                }
            } else if (error == null && !(result instanceof KvResult.Unavailable)) {
                named(target); // it executed the command: it led
                promise.complete(result);
            } else {
                named(RaftCore.NONE); // the next attempt asks the next voter
                if (safeToRetry(request)) {
                    retryLater(request, true, deadline, backoffMs, promise, "node " + target + " unreachable");
                } else {
                    promise.complete(error == null ? result : new KvResult.Unavailable(error.toString(), spec.logAddress()));
                }
            }
        });
    }

    private void named(long leader) {
        leaderNamedAtNanos = clock.nanos();
        leaderNamedByMembers = leader;
    }

    /**
     * Whether the leader was named less than an election timeout ago: a node outside the membership
     * hears of no election, so with {@code "forward": false} it asks again after that (the answer may
     * be the command's result, from the leader itself) rather than redirect to a leader that is gone.
     */
    private boolean recentlyNamed() {
        return clock.nanos() - leaderNamedAtNanos < TimeUnit.MILLISECONDS.toNanos(config.electionTimeoutMs());
    }

    /** The member whose gRPC address is {@code logAddress}, or null (none known, or no address given). */
    private ServerSpec memberAt(String logAddress) {
        if (logAddress == null) return null;
        for (ServerSpec s : members.all().values()) {
            if (s.logAddress().equals(logAddress)) return s;
        }
        return null;
    }

    /**
     * The answer of a call only the leader serves, on a node that does not lead: a redirect to
     * {@code leader} (certainly not executed), or unavailable while no leader (or its address) is known.
     */
    public KvResult notTheLeader(long leader) {
        ServerSpec spec = leader == RaftCore.NONE || leader == node.id() ? null : addresses.apply(leader);
        if (spec == null) return new KvResult.Unavailable("node " + node.id() + " does not lead and knows no leader's address", null);
        return new KvResult.Redirect(spec.clientAddress(), spec.logAddress());
    }

    private void retryLater(KvRequest request, boolean mayForward, long deadline, long backoffMs,
                            CompletableFuture<KvResult> promise, String why) {
        long left = deadline - clock.nanos();
        if (left <= 0) {
            promise.complete(new KvResult.Unavailable("not committed within the request timeout: " + why, null));
            return;
        }
        long delay = Math.min(backoffMs, TimeUnit.NANOSECONDS.toMillis(left) + 1);
        timer.schedule(() -> attempt(request, mayForward, deadline, Math.min(backoffMs * 2, MAX_RETRY_MS), promise), delay);
    }

    /**
     * The answer to a cas whose expected version no key can have: 0 (text protocol and gRPC), or a
     * uint64 of 2^63 or more from gRPC, which arrives here negative. Versions are log indexes, so
     * such a cas can only fail, and the state machine's command cannot even carry it. It is answered
     * as the state machine would answer it, from a linearizable read of the key: not found if the
     * key is absent, else a version mismatch. Nothing goes through the log, so a request id it
     * carries is checked by {@link #validate} but neither deduplicated nor recorded (kv.proto,
     * CasRequest.expected_version).
     */
    private static KvResult casMatchingNoVersion(KvResult read) {
        return read instanceof KvResult.Found ? new KvResult.VersionMismatch() : read;
    }

    /** A command whose outcome is unknown may be sent again only if a second copy cannot apply twice. */
    private static boolean safeToRetry(KvRequest request) {
        if (!request.isWrite()) return true;
        return !requestId(request).isNone();
    }

    private static RequestId requestId(KvRequest request) {
        if (request instanceof KvRequest.Set s) return s.requestId();
        if (request instanceof KvRequest.Cas c) return c.requestId();
        if (request instanceof KvRequest.Delete d) return d.requestId();
        return RequestId.NONE;
    }

    /** The checks both front doors share; null if the request is acceptable. */
    KvResult validate(KvRequest request) {
        String badKey = Keys.validate(request.key());
        if (badKey != null) return new KvResult.Invalid("bad key: " + badKey, false);
        ByteString value = null;
        long ttl = 0;
        if (request instanceof KvRequest.Set s) {
            value = s.value();
            ttl = s.ttlSeconds();
        } else if (request instanceof KvRequest.Cas c) {
            value = c.value();
            ttl = c.ttlSeconds();
        }
        if (value != null && value.size() > config.maxValueBytes()) {
            return new KvResult.Invalid("value of " + value.size() + " bytes is over the limit of "
                    + config.maxValueBytes(), true);
        }
        String badTtl = KvRules.ttlProblem(ttl);
        if (badTtl != null) return new KvResult.Invalid(badTtl, false);
        RequestId id = requestId(request);
        String badId = id.isNone() ? null : KvRules.requestIdProblem(id.clientId(), id.sequence());
        return badId == null ? null : new KvResult.Invalid(badId, false);
    }
}
