package raftkv.cli.bench;

/**
 * How one benchmark operation ended. OK and NOT_FOUND are answers from the store and count as
 * successes (a get of a key nobody wrote yet is NOT_FOUND); TIMEOUT and ERROR are failures.
 *
 * @param kind   the class of the error ("UNAVAILABLE", "ERR_INTERNAL", "connection", ...), null on success
 */
public record BenchOutcome(Type type, String kind) {
    public enum Type { OK, NOT_FOUND, TIMEOUT, ERROR }

    public static final BenchOutcome OK = new BenchOutcome(Type.OK, null);
    public static final BenchOutcome NOT_FOUND = new BenchOutcome(Type.NOT_FOUND, null);

    public static BenchOutcome timeout(String kind) {
        return new BenchOutcome(Type.TIMEOUT, kind);
    }

    public static BenchOutcome error(String kind) {
        return new BenchOutcome(Type.ERROR, kind);
    }

    public boolean success() {
        return type == Type.OK || type == Type.NOT_FOUND;
    }
}
