package raftkv.kv;

/**
 * Identifies one logical write so that a retry of it takes effect at most once (kv.proto,
 * message RequestId). {@link #NONE} turns deduplication off.
 *
 * @param clientId chosen at random by the client, once; non-zero
 * @param sequence 1 for the client's first write, one more per new write; non-zero
 */
public record RequestId(long clientId, long sequence) {
    public static final RequestId NONE = new RequestId(0, 0);

    public boolean isNone() {
        return clientId == 0 && sequence == 0;
    }
}
