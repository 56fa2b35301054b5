package raftkv.metrics;

import java.util.Optional;

/** /readyz's rule (SPEC 10): a node is ready when it knows a leader and has applied all it knows committed. */
public final class Readiness {
    private Readiness() {}

    /** Empty when ready; otherwise why not, in a few words. {@code view} null: the node did not answer. */
    public static Optional<String> notReadyBecause(NodeMetrics.RaftView view) {
        if (view == null) return Optional.of("the Raft loop did not answer");
        if (view.leader() < 0) return Optional.of("no known leader (term " + view.term() + ")");
        if (view.appliedIndex() < view.commitIndex()) {
            return Optional.of("applied " + view.appliedIndex() + " of " + view.commitIndex() + " committed entries");
        }
        return Optional.empty();
    }
}
