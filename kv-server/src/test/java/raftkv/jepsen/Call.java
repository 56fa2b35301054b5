package raftkv.jepsen;

import java.util.Objects;

/**
 * What a client asked for: one command of SPEC section 4 (or its gRPC twin, section 7), on one
 * key. Values are text: the checker compares them for equality and prints them, and the chaos
 * workload writes printable values (a recorder of binary values should encode them, e.g. hex).
 * Expiry is not modelled: the workload always writes with exptime 0.
 */
public sealed interface Call {
    String key();

    /** {@code set key value}: replies {@link Outcome.Ok} with the write's version. */
    record Set(String key, String value) implements Call {
        public Set {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** {@code get key}: replies {@link Outcome.Value} (version 0 when the protocol shows none) or not-found. */
    record Get(String key) implements Call {
        public Get {
            Objects.requireNonNull(key, "key");
        }
    }

    /** {@code getm key}: like get, and the reply carries the version. */
    record GetM(String key) implements Call {
        public GetM {
            Objects.requireNonNull(key, "key");
        }
    }

    /** {@code cas key expectedVersion value}: ok(new version), version mismatch, or not-found. */
    record Cas(String key, long expectedVersion, String value) implements Call {
        public Cas {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** {@code delete key}: deleted or not-found. */
    record Delete(String key) implements Call {
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }

    /** True for calls that can change the register: set, cas, delete. */
    default boolean isWrite() {
        return this instanceof Set || this instanceof Cas || this instanceof Delete;
    }

    /** The verb as the text protocol spells it. */
    default String verb() {
        if (this instanceof Set) return "set";
        if (this instanceof Get) return "get";
        if (this instanceof GetM) return "getm";
        if (this instanceof Cas) return "cas";
        return "delete";
    }

    /** Human-readable, e.g. {@code cas k1 @17 "v3"}. */
    default String describe() {
        if (this instanceof Set s) return "set " + s.key() + " " + Outcome.quote(s.value());
        if (this instanceof Cas c) return "cas " + c.key() + " @" + c.expectedVersion() + " " + Outcome.quote(c.value());
        return verb() + " " + key();
    }
}
