package raftkv.raft;

/**
 * What {@link RaftCore#step(Message)} did with a peer's message.
 *
 * <p>A message that no correct peer of this cluster could send (a second leader in a term, an
 * entry that contradicts a committed one, a term beyond {@link RaftCore#MAX_TERM}, ...) is
 * {@link Refused}: bad input from the network, which the node logs and drops, and which changes
 * nothing in the core. This is not the core's own broken invariant: those throw.
 */
public sealed interface StepResult {
    /** The message was handled (which may mean refusing a vote or an append, as Raft does). */
    StepResult TAKEN = new Taken();

    record Taken() implements StepResult {}

    /**
     * The message contradicts Raft's rules and was dropped without effect; no answer is owed.
     *
     * @param from   the sender the message claims
     * @param reason what it contradicts, for the log
     */
    record Refused(long from, String reason) implements StepResult {}
}
