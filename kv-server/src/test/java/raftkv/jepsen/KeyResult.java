package raftkv.jepsen;

/** The verdict for one key; {@code violation} is set iff NOT_LINEARIZABLE. */
public record KeyResult(String key, Verdict verdict, Stats stats, Violation violation) {
    /**
     * {@code ops} of the key: {@code determinate} ones that must be placed, {@code infoWrites} that
     * may have happened, {@code ignored} (failed, or reads with unknown outcome). {@code steps}
     * operations tried, {@code configurations} memoized.
     */
    public record Stats(int ops, int determinate, int infoWrites, int ignored, long steps, long configurations, long nanos) {}
}
