package raftkv.node;

import com.google.protobuf.ByteString;

/**
 * The outcome of a {@link KvRequest}. Expected outcomes are values, never exceptions; each
 * front door maps them to its own replies in one place (text: {@code ERR_*} lines, gRPC: status
 * codes).
 */
public sealed interface KvResult {
    /** A set or cas took effect with this version. */
    record Written(long version) implements KvResult {}

    /** A delete took effect. */
    record Deleted() implements KvResult {}

    /**
     * A get or getm found the key. {@code ttlSeconds} is the time left to live in whole seconds
     * rounded up, 0 for a key that never expires (and never 0 for one that will).
     */
    record Found(ByteString value, long version, long ttlSeconds) implements KvResult {}

    /** The key does not exist or has expired. */
    record NotFound() implements KvResult {}

    /** A cas whose expected version is not the key's current version; nothing was written. */
    record VersionMismatch() implements KvResult {}

    /** A write whose request id is older than the newest seen for its client; nothing was written. */
    record StaleRequest() implements KvResult {}

    /**
     * A write refused because it would grow the store past quotaBytes, or, with {@code diskLow},
     * because the node's data disk is below its reserve (SPEC 11); nothing was written.
     */
    record NoSpace(boolean diskLow) implements KvResult {
        /** Over the quota. */
        public NoSpace() {
            this(false);
        }
    }

    /**
     * A write whose request id was already used for another command; nothing was written. Its
     * reason says so; both front doors answer it as an invalid request.
     */
    static KvResult requestIdReused() {
        return new Invalid("request id already used for a different command; nothing was written", false);
    }

    /**
     * This node does not serve the command and the cluster is configured with
     * {@code "forward": false}: the client should go to the leader at these addresses.
     */
    record Redirect(String leaderClientAddress, String leaderPeerAddress) implements KvResult {}

    /**
     * The command was not committed within the request timeout, or no leader could be reached.
     * For a write, its outcome is unknown. {@code leaderPeerAddress} is the leader's gRPC address
     * if known, else null.
     */
    record Unavailable(String reason, String leaderPeerAddress) implements KvResult {}

    /** The request is malformed (bad key, value too large, ...); nothing was written. */
    record Invalid(String reason, boolean tooLarge) implements KvResult {}

    /** Anything else that went wrong inside; the node goes on. */
    record Internal(String reason) implements KvResult {}
}
