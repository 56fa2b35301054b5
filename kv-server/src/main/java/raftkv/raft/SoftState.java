package raftkv.raft;

/** The volatile view of who leads: reported in a {@link Ready} whenever it changes. */
public record SoftState(Role role, long term, long leader) {}
