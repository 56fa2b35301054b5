package raftkv.jepsen;

/** A checker's answer. UNKNOWN: the budget ran out first; never reported as LINEARIZABLE. */
public enum Verdict {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    UNKNOWN;

    /** As printed: {@code NOT LINEARIZABLE}. */
    public String display() {
        return name().replace('_', ' ');
    }
}
