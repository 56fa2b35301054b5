package raftkv.kv;

import com.google.protobuf.ByteString;
import java.util.Objects;
import raftkv.proto.KvRules;

/**
 * A command for the key-value state machine, as the node proposes it and as
 * {@link CommandCodec} reads it back from a log entry. The entry's timestamp travels beside the
 * command (see {@link CommandCodec.Decoded}), not inside it.
 *
 * <p>Constructors reject what the log format cannot carry (negative ttl, half a request id), so
 * a bad command fails when it is proposed, not on every replica when it is applied. Key syntax
 * is the front doors' job ({@link Keys}). The ttl and request-id rules are {@link KvRules}'.
 */
public sealed interface Command {
    /** Stores {@code value} under {@code key}, replacing any value and expiry; ttl 0 = never. */
    record Set(ByteString key, ByteString value, long ttlSeconds, RequestId requestId) implements Command {
        public Set {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            checkTtl(ttlSeconds);
            checkRequestId(requestId);
        }
    }

    /** Stores {@code value} only if the key is live with version {@code expectedVersion}. */
    record Cas(ByteString key, long expectedVersion, ByteString value, long ttlSeconds, RequestId requestId)
            implements Command {
        public Cas {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (expectedVersion < 1) {
                throw new IllegalArgumentException("cas expected version must be >= 1, got " + expectedVersion);
            }
            checkTtl(ttlSeconds);
            checkRequestId(requestId);
        }
    }

    /** Removes {@code key}. */
    record Delete(ByteString key, RequestId requestId) implements Command {
        public Delete {
            Objects.requireNonNull(key, "key");
            checkRequestId(requestId);
        }
    }

    /** Advances the state machine's clock only, so that keys expire without writes. */
    record Tick() implements Command {}

    /** The request id of a write; {@link RequestId#NONE} for a tick. */
    default RequestId requestId() {
        return RequestId.NONE;
    }

    private static void checkTtl(long ttlSeconds) {
        String problem = KvRules.ttlProblem(ttlSeconds);
        if (problem != null) throw new IllegalArgumentException(problem);
    }

    private static void checkRequestId(RequestId id) {
        Objects.requireNonNull(id, "requestId (use RequestId.NONE for none)");
        String problem = id.isNone() ? null : KvRules.requestIdProblem(id.clientId(), id.sequence());
        if (problem != null) throw new IllegalArgumentException(problem + ", got " + id);
    }
}
