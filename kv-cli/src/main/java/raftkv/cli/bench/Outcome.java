package raftkv.cli.bench;

/**
 * How one benchmark operation ended. OK and NOT_FOUND are answers from the store and count as
 * successes (a get of a key nobody wrote yet is NOT_FOUND); TIMEOUT and ERROR are failures.
 *
 * @param kind   the class of the error ("UNAVAILABLE", "ERR_INTERNAL", "connection", ...), null on success
 */
public record Outcome(Type type, String kind) {
    public enum Type { OK, NOT_FOUND, TIMEOUT, ERROR }

    public static final Outcome OK = new Outcome(Type.OK, null);
    public static final Outcome NOT_FOUND = new Outcome(Type.NOT_FOUND, null);

    public static Outcome timeout(String kind) {
        return new Outcome(Type.TIMEOUT, kind);
    }

    public static Outcome error(String kind) {
        return new Outcome(Type.ERROR, kind);
    }

    public boolean success() {
        return type == Type.OK || type == Type.NOT_FOUND;
    }
}
