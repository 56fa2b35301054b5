package raftkv.jepsen;

import java.util.List;

/**
 * The smallest window that shows why a history is not linearizable. For a search that failed on
 * {@code key}: the longest prefix it could linearize (in linearization order), the register after
 * it, the first operation to complete among those left ({@code blocking}: it had to be placed
 * before anything invoked after it completed), and the operations that could have come next, each
 * with the model's reason why not (null: legal here, but nothing works after it). For a fact that
 * needs no search (two writes given one version): the operations involved, an empty prefix and a
 * null state.
 */
public record Violation(String key, String reason, List<Op> prefix, String state, Op blocking, List<Candidate> concurrent) {
    public Violation {
        prefix = List.copyOf(prefix);
        concurrent = List.copyOf(concurrent);
    }

    /** An operation that could have come next, and why it could not (null: it could, but led nowhere). */
    public record Candidate(Op op, String whyNot) {}
}
