package raftkv.kv;

/**
 * What applying one log entry did. Expected outcomes are values: a corrupt entry throws instead.
 */
public sealed interface ApplyResult {
    /** A set or cas stored its value; {@code version} is the entry's log index. */
    record Written(long version) implements ApplyResult {}

    /** A delete removed a live key. */
    record Deleted() implements ApplyResult {}

    /** A cas or delete found no live key. */
    record NotFound() implements ApplyResult {}

    /** A cas found the key at another version; nothing was written. */
    record VersionMismatch() implements ApplyResult {}

    /** A write whose sequence is below the newest applied for its client; nothing was written. */
    record StaleRequest() implements ApplyResult {}

    /**
     * A write that would have grown the store past {@link KvLimits#quotaBytes()}; nothing was
     * written. Not remembered by the sessions: a retry once space is freed may apply.
     */
    record NoSpace() implements ApplyResult {}

    /**
     * A write whose request id is the newest of its client but whose command differs from the one
     * applied under that id (another client reusing the id, or a client bug): nothing was written,
     * and the first command's result is not given to a command that never ran.
     */
    record RequestIdReused() implements ApplyResult {}

    /** A no-op or tick entry: nothing for a client. */
    record None() implements ApplyResult {}

    /**
     * True for the results a retry must see again (kv.proto RequestId): these are the only ones
     * the sessions remember.
     */
    default boolean isDecided() {
        return this instanceof Written || this instanceof Deleted || this instanceof NotFound
                || this instanceof VersionMismatch;
    }
}
