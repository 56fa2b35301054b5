package raftkv.kv;

import java.util.Comparator;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.pcollections.TreePMap;

/**
 * The exactly-once table (kv.proto RequestId): per client id, the newest sequence applied and
 * its decided result. Replicated state: every replica changes it only while applying entries, at
 * the log's time, and it goes into snapshots, so all replicas answer a retry the same way.
 *
 * <p>A client unused for {@link #EXPIRY_MS} of log time is forgotten; a retry after that is a
 * new write. Expiry walks an index ordered by last use, never the whole table.
 *
 * <p>Bounded: past {@link KvLimits#maxSessions()} clients, the least recently used (by log time,
 * ties by client id) is forgotten, so a flood of fresh client ids costs a fixed amount of memory.
 * Both orders depend only on the log, so every replica forgets the same clients.
 *
 * <p>Each entry keeps the {@link CommandCodec#fingerprint fingerprint} of the command it
 * answered: a retry under the same id with another command is refused, never given the first
 * command's result.
 */
public final class Sessions {
    /** How long, on the log's clock, a client's newest result is remembered after its last use. */
    public static final long EXPIRY_MS = 3_600_000L;

    /** The fingerprint of a session restored from a format-1 snapshot, which kept none: any command matches. */
    public static final long UNKNOWN_FINGERPRINT = -1;

    /**
     * One client's entry.
     *
     * @param sequence    the newest sequence applied for the client (compared unsigned)
     * @param result      that write's result; always {@link ApplyResult#isDecided() decided}
     * @param lastUsedMs  the log clock when the client last wrote or retried
     * @param fingerprint {@link CommandCodec#fingerprint} of that write (0..2^32-1), or
     *                    {@link #UNKNOWN_FINGERPRINT}
     */
    public record Session(long sequence, ApplyResult result, long lastUsedMs, long fingerprint) {
        public Session {
            Objects.requireNonNull(result, "result");
            if (sequence == 0) throw new IllegalArgumentException("session sequence 0");
            if (!result.isDecided()) throw new IllegalArgumentException("undecided result in a session: " + result);
            if (fingerprint != UNKNOWN_FINGERPRINT && (fingerprint < 0 || fingerprint > 0xFFFF_FFFFL)) {
                throw new IllegalArgumentException("fingerprint out of range: " + fingerprint);
            }
        }
    }

    // Ordered by (signed) client id, so that snapshots list sessions in the same order on every
    // replica. Persistent: a change makes a new map sharing structure with the old, which stays
    // whole, so a snapshot captures the table in O(1) and reads it on another thread.
    private TreePMap<Long, Session> byClient = TreePMap.empty();

    private record LastUse(long atMs, long clientId) {}

    // Invariant: holds exactly one LastUse(s.lastUsedMs, client) per entry of byClient.
    private final TreeSet<LastUse> byLastUse =
            new TreeSet<>(Comparator.comparingLong(LastUse::atMs).thenComparingLong(LastUse::clientId));

    Sessions() {}

    /**
     * What a write with {@code id} and {@code fingerprint} must return instead of being applied:
     * the remembered result if it is the client's newest write with the same command (a retry; its
     * last use moves to {@code nowMs}), {@link ApplyResult.RequestIdReused} if the command differs,
     * {@link ApplyResult.StaleRequest} if it is older, or empty if it is new and must be applied.
     */
    Optional<ApplyResult> check(RequestId id, long fingerprint, long nowMs) {
        Session s = byClient.get(id.clientId());
        if (s == null) {
            return Optional.empty();
        }
        int order = Long.compareUnsigned(id.sequence(), s.sequence());
        if (order < 0) {
            return Optional.of(new ApplyResult.StaleRequest());
        }
        if (order > 0) {
            return Optional.empty();
        }
        if (s.fingerprint() != UNKNOWN_FINGERPRINT && s.fingerprint() != fingerprint) {
            return Optional.of(new ApplyResult.RequestIdReused());
        }
        put(id.clientId(), new Session(s.sequence(), s.result(), nowMs, s.fingerprint()));
        return Optional.of(s.result());
    }

    /**
     * Remembers {@code result} as the newest write of {@code id}'s client, then forgets the least
     * recently used other clients while more than {@code maxSessions} are remembered. Never the
     * client just recorded: among clients last used at the same time it may have the lowest id,
     * and its retry must still find its result.
     */
    void record(RequestId id, ApplyResult result, long fingerprint, long nowMs, int maxSessions) {
        put(id.clientId(), new Session(id.sequence(), result, nowMs, fingerprint));
        while (byClient.size() > Math.max(1, maxSessions)) {
            LastUse oldest = byLastUse.first();
            if (oldest.clientId() == id.clientId()) oldest = byLastUse.higher(oldest);
            byLastUse.remove(oldest);
            byClient = byClient.minus(oldest.clientId());
        }
    }

    /** Forgets every client whose last use is {@link #EXPIRY_MS} or more before {@code nowMs}. */
    void expire(long nowMs) {
        while (!byLastUse.isEmpty() && nowMs - byLastUse.first().atMs() >= EXPIRY_MS) {
            byClient = byClient.minus(byLastUse.pollFirst().clientId());
        }
    }

    /** Adds or replaces a client's entry (apply, and restore from a snapshot). */
    void put(long clientId, Session session) {
        if (clientId == 0) throw new IllegalArgumentException("client id 0");
        Session old = byClient.get(clientId);
        byClient = byClient.plus(clientId, session);
        if (old != null) {
            byLastUse.remove(new LastUse(old.lastUsedMs(), clientId));
        }
        byLastUse.add(new LastUse(session.lastUsedMs(), clientId));
    }

    /** The client's entry, if remembered. */
    public Optional<Session> get(long clientId) {
        return Optional.ofNullable(byClient.get(clientId));
    }

    /**
     * Every entry as of this call, in increasing (signed) client id order. Immutable: it does not
     * change as the table goes on changing.
     */
    public NavigableMap<Long, Session> all() {
        return byClient;
    }

    /** The table as of this call, for a {@link SnapshotView}; O(1). */
    TreePMap<Long, Session> capture() {
        return byClient;
    }

    public int size() {
        return byClient.size();
    }
}
