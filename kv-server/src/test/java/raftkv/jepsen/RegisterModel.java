package raftkv.jepsen;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sequential specification of one key: a register that is absent or holds (value, version).
 * Versions are positive, unique and grow with every write, but the model cannot know which
 * version a write will get: a write's version must exceed the version it overwrites, and a read
 * must return exactly the version its write got. A write whose outcome is unknown has "some
 * version", above everything before it; the first read that shows it pins it down.
 *
 * <p>Values are interned per key as ints (see {@link KeySearch}); {@code -1} is "no value".
 */
final class RegisterModel {
    /** {@link State#version()} of a value written by an info write whose version no read has shown yet. */
    static final long UNKNOWN = 0;

    /**
     * Invariants: {@code next} is the lowest version the next write may get. If the version is
     * known, {@code next == version + 1}. If it is {@link #UNKNOWN}, the hidden version is at least
     * {@code next - 1} and is none of {@code excluded} (versions a cas found it was not; all above
     * {@code next - 1}): an info write that lands on a register whose next is n gets some version
     * u >= n, so whatever follows needs at least n + 1. Absent: version UNKNOWN, value -1.
     * {@code excluded} is empty unless the version is hidden.
     * A state with a lower {@code next} and otherwise equal allows everything the higher one does.
     */
    record State(boolean present, int value, long version, long next, Set<Long> excluded) {
        State(boolean present, int value, long version, long next) {
            this(present, value, version, next, Set.of());
        }
    }

    static final State INITIAL = new State(false, -1, UNKNOWN, 1);

    enum Kind {
        /** set acknowledged with {@code version}. */
        SET,
        /** cas acknowledged: {@code expected} matched, the write got {@code version}. */
        CAS,
        /** get/getm that saw {@code value}, with {@code version} or 0 if the reply shows none. */
        READ,
        /** get/getm/cas/delete that answered not-found. */
        READ_ABSENT,
        /** cas that answered version-mismatch against {@code expected}. */
        CAS_MISMATCH,
        /** delete that answered deleted. */
        DELETE,
        /** set/cas/delete with an unknown outcome, in the branch where it took effect. */
        SET_INFO,
        CAS_INFO,
        DELETE_INFO
    }

    /** {@link Step#owner()}: nothing in the history shows which write the version belongs to. */
    static final int FREE = -1;
    /** {@link Step#owner()}: the version belongs to an acknowledged write, or to another key. */
    static final int TAKEN = -2;

    /**
     * One operation compiled for the model. {@code owner} tells what the history shows about the
     * version this step must find (the expected version of a cas, the version a read shows), for
     * when the register's version is hidden: {@link #FREE}, {@link #TAKEN} (versions being unique,
     * then it cannot be the hidden version of an info write), or the id of the value a read of
     * this key showed with it (then only an info write of that value can have it).
     */
    record Step(Kind kind, int value, long expected, long version, int owner) {}

    private RegisterModel() {}

    /** The state after {@code step}, or null if the step is illegal in {@code s}. Returns {@code s} itself for a read that changes nothing. */
    static State apply(State s, Step step) {
        switch (step.kind()) {
            case SET:
                return step.version() >= s.next() ? new State(true, step.value(), step.version(), step.version() + 1) : null;
            case CAS:
                if (!s.present() || !matches(s, step) || step.version() <= step.expected()) return null;
                return new State(true, step.value(), step.version(), step.version() + 1);
            case READ:
                if (!s.present() || s.value() != step.value()) return null;
                if (step.version() == 0) return s;
                if (s.version() != UNKNOWN) return s.version() == step.version() ? s : null;
                return canBeHidden(s, step.version(), step.owner()) ? new State(true, s.value(), step.version(), step.version() + 1) : null;
            case READ_ABSENT:
                return s.present() ? null : s;
            case CAS_MISMATCH:
                if (!s.present()) return null;
                if (s.version() != UNKNOWN) return s.version() != step.expected() ? s : null;
                return canBeHidden(s, step.expected(), step.owner()) ? exclude(s, step.expected()) : s;
            case DELETE:
            case DELETE_INFO:
                return s.present() ? new State(false, -1, UNKNOWN, s.next()) : null;
            case SET_INFO:
                return new State(true, step.value(), UNKNOWN, s.next() + 1);
            case CAS_INFO:
                return s.present() && matches(s, step) ? new State(true, step.value(), UNKNOWN, step.expected() + 2) : null;
            default:
                throw new AssertionError(step.kind());
        }
    }

    /** Whether the step replaces the register whatever it held (every write, when legal). */
    static boolean overwrites(Step step) {
        return switch (step.kind()) {
            case SET, CAS, DELETE, SET_INFO, CAS_INFO, DELETE_INFO -> true;
            case READ, READ_ABSENT, CAS_MISMATCH -> false;
        };
    }

    /** Whether a cas can match: its expected version is the known version, or one the hidden version may be. */
    private static boolean matches(State s, Step cas) {
        return s.version() != UNKNOWN ? s.version() == cas.expected() : canBeHidden(s, cas.expected(), cas.owner());
    }

    /** Whether the hidden version of the register (written by an info write) may be {@code version}. */
    private static boolean canBeHidden(State s, long version, int owner) {
        return (owner == FREE || owner == s.value()) && version >= s.next() - 1 && !s.excluded().contains(version);
    }

    /** {@code s}, knowing its hidden version is not {@code version}: the lowest it may be rises past it. */
    private static State exclude(State s, long version) {
        Set<Long> excluded = new HashSet<>(s.excluded());
        excluded.add(version);
        long lowest = s.next() - 1;
        while (excluded.remove(lowest)) lowest++;
        return new State(true, s.value(), UNKNOWN, lowest + 1, Set.copyOf(excluded));
    }

    /** Why {@code step} is illegal in {@code s}; null if it is legal. */
    static String whyNot(State s, Step step, List<String> values) {
        if (apply(s, step) != null) return null;
        String holds = "the register holds " + describe(s, values);
        return switch (step.kind()) {
            case SET -> "a write's version must exceed the one it overwrites (" + holds + ")";
            case CAS -> step.version() <= step.expected()
                    ? "cas got version " + step.version() + ", not above the version it replaced"
                    : "cas matched version " + step.expected() + ", but " + holds;
            case READ -> "read " + Outcome.quote(values.get(step.value()))
                    + (step.version() == 0 ? "" : "@" + step.version()) + ", but " + holds;
            case READ_ABSENT -> "saw not-found, but " + holds;
            case CAS_MISMATCH -> "saw version-mismatch against @" + step.expected() + ", but " + holds;
            case DELETE -> "deleted, but " + holds;
            case SET_INFO, CAS_INFO, DELETE_INFO -> "could not take effect here (" + holds + "); may still later, or never";
        };
    }

    /** e.g. {@code absent}, {@code "v3"@17}, {@code "v3"@?(>=16)} for a version no read has shown. */
    static String describe(State s, List<String> values) {
        if (!s.present()) return "absent";
        String v = Outcome.quote(values.get(s.value()));
        if (s.version() != UNKNOWN) return v + "@" + s.version();
        return v + "@?(>=" + (s.next() - 1) + (s.excluded().isEmpty() ? "" : ", not " + new TreeSet<>(s.excluded())) + ")";
    }
}
