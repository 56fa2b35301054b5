package raftkv.node;

import com.google.protobuf.ByteString;
import raftkv.kv.RequestId;

/**
 * A client command, as both front doors (the text gateway and the gRPC API) hand it to
 * {@link KvApi}. Keys and values are already validated for syntax by the front door; the
 * service still checks sizes against the configuration.
 */
public sealed interface KvRequest {
    ByteString key();

    /** Stores {@code value}; {@code ttlSeconds} 0 means never expires. */
    record Set(ByteString key, ByteString value, long ttlSeconds, RequestId requestId) implements KvRequest {}

    /** Stores {@code value} only if the key's current version is {@code expectedVersion}. */
    record Cas(ByteString key, long expectedVersion, ByteString value, long ttlSeconds, RequestId requestId)
            implements KvRequest {}

    /** Removes the key. */
    record Delete(ByteString key, RequestId requestId) implements KvRequest {}

    /** Reads value and version (linearizable). */
    record Get(ByteString key) implements KvRequest {}

    /** Reads value, version and time left to live (linearizable). */
    record GetMeta(ByteString key) implements KvRequest {}

    /** True for the commands that go through the log. */
    default boolean isWrite() {
        return this instanceof Set || this instanceof Cas || this instanceof Delete;
    }
}
