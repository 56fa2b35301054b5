package raftkv.kv;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Comparator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.pcollections.TreePMap;
import raftkv.raft.Entry;
import raftkv.raft.Membership;
import raftkv.raft.MembershipCodec;

/**
 * The replicated key-value store: committed log entries in, results out. Pure and
 * deterministic: every replica that applies the same entries holds the same state and writes a
 * byte-identical snapshot. Time comes only from the entries (the leader stamps each command), so
 * expiry is decided by the log, never by a replica's own clock.
 *
 * <p>Rules (kv.proto, SPEC sections 4 and 5):
 * <ul>
 *   <li>The version of a write is its entry's log index: positive, unique, increasing.
 *   <li>The clock is the highest timestamp applied so far; it never moves back, even under a
 *       new leader whose clock is behind.
 *   <li>A write's deadline is the clock after its entry is applied plus its ttl (0: never). That
 *       is the entry's timestamp unless the proposing leader's clock was behind, in which case
 *       the key still gets its full ttl on the log's clock, never less.
 *   <li>A key whose deadline is at or before the clock is absent for every command, and is
 *       dropped from memory when the clock passes it.
 *   <li>Writes with a request id are deduplicated by {@link Sessions}.
 *   <li>A set or cas that would take {@link #storeBytes()} past {@link KvLimits#quotaBytes()}
 *       while growing it is refused with {@link ApplyResult.NoSpace}; a write that keeps or
 *       shrinks the store, and every delete, applies whatever the store's size.
 * </ul>
 *
 * <p>Not safe for concurrent use: its one owner applies, reads and snapshots it. The
 * {@link SnapshotView} it hands out is immutable, so the owner may pass it to another thread to
 * write while it goes on applying.
 */
public final class KvStateMachine {
    private static final ApplyResult NONE = new ApplyResult.None();
    private static final ApplyResult NOT_FOUND = new ApplyResult.NotFound();
    private static final ApplyResult DELETED = new ApplyResult.Deleted();
    private static final ApplyResult VERSION_MISMATCH = new ApplyResult.VersionMismatch();
    private static final ApplyResult NO_SPACE = new ApplyResult.NoSpace();

    // Persistent: a change makes a new map sharing structure with the old, which stays whole, so
    // snapshotView() captures the keys in O(1) and a writer reads them on another thread.
    // Invariant: after every apply, each stored deadline is above clockMs.
    private TreePMap<ByteString, Stored> data = TreePMap.empty(Keys.ORDER);

    private record Deadline(long atMs, ByteString key) {}

    // Invariant: one Deadline(s.expiresAtMs, key) for each key of data whose value expires.
    // Derived from data, so not in snapshots: mutable, and rebuilt on restore.
    private final TreeSet<Deadline> deadlines =
            new TreeSet<>(Comparator.comparingLong(Deadline::atMs).thenComparing(Deadline::key, Keys.ORDER));

    private final Sessions sessions = new Sessions();

    // Invariant: the sum of KvLimits.entryBytes over data. Derived from data, so not in snapshots.
    private long storeBytes;

    // Not replicated state: the same on every replica because it comes from the cluster's config.
    private KvLimits limits = KvLimits.DEFAULTS;

    // Index and term of the last entry applied; 0 before the first.
    private long appliedIndex;
    private long appliedTerm;
    // The highest entry timestamp applied: the log's time in ms (elapsed time the leaders count,
    // not wall time; see internal.proto LogCommand.timestamp_ms). Never decreases.
    private long clockMs;
    // The membership of the last CONFIG entry applied (MembershipCodec bytes), carried in snapshots so
    // that membership survives compaction; empty if none was applied (nor restored).
    private ByteString membership = ByteString.EMPTY;

    /** An empty store, before log index 1. */
    public KvStateMachine() {}

    /**
     * A store restored from a snapshot, holding {@code data}; {@link KvSnapshot} then adds the
     * sessions. Every deadline in {@code data} must be above {@code clockMs}.
     */
    KvStateMachine(long appliedIndex, long appliedTerm, long clockMs, TreePMap<ByteString, Stored> data) {
        if (data.comparator() != Keys.ORDER) throw new IllegalArgumentException("keys not in Keys.ORDER");
        this.appliedIndex = appliedIndex;
        this.appliedTerm = appliedTerm;
        this.clockMs = clockMs;
        this.data = data;
        for (Map.Entry<ByteString, Stored> e : data.entrySet()) {
            storeBytes += entryBytes(e.getKey(), e.getValue());
            if (e.getValue().expires()) {
                deadlines.add(new Deadline(e.getValue().expiresAtMs(), e.getKey()));
            }
        }
    }

    /**
     * Sets the bounds applied from the next entry on. Every replica must use the same: set them
     * on a new or restored machine before it applies anything. Lowering them drops nothing at
     * once: a store over a new quota only refuses growth, and the sessions shrink to the new bound
     * at the next write that records one.
     */
    public void limits(KvLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public KvLimits limits() {
        return limits;
    }

    /**
     * Applies the next committed entry, which must be at index {@link #appliedIndex()} + 1. A
     * NOOP entry only advances the applied index. A NORMAL entry is decoded and applied.
     *
     * @throws MalformedCommandException if a NORMAL entry's data is not a command; the machine
     *     is then unchanged, and the node must stop: skipping the entry would diverge
     * @throws IllegalStateException if the entry is out of order
     */
    public ApplyResult apply(Entry entry) {
        Objects.requireNonNull(entry, "entry");
        if (entry.index() != appliedIndex + 1) {
            throw new IllegalStateException("entry " + entry.index() + " applied after entry " + appliedIndex
                    + ": entries are applied once each, in index order");
        }
        switch (entry.type()) {
            case NOOP -> {
                advanceTo(entry);
                return NONE;
            }
            case CONFIG -> {
                MembershipCodec.decode(entry.data()); // a corrupt membership stops the node here, not later
                advanceTo(entry);
                membership = entry.data();
                return NONE;
            }
            case NORMAL -> {
                CommandCodec.Decoded decoded;
                try {
                    decoded = CommandCodec.decode(entry.data());
                } catch (MalformedCommandException e) {
                    throw new MalformedCommandException("log entry " + entry.index() + " (term " + entry.term()
                            + "): " + e.getMessage(), e);
                }
                advanceTo(entry);
                return applyCommand(decoded.command(), decoded.timestampMs(), entry.index());
            }
            default -> throw new IllegalStateException("unknown entry type " + entry.type());
        }
    }

    private void advanceTo(Entry entry) {
        appliedIndex = entry.index();
        appliedTerm = entry.term();
    }

    private ApplyResult applyCommand(Command command, long timestampMs, long index) {
        clockMs = Math.max(clockMs, timestampMs);
        expireKeys();
        sessions.expire(clockMs);
        if (command instanceof Command.Tick) {
            return NONE;
        }
        RequestId id = command.requestId();
        long fingerprint = id.isNone() ? 0 : CommandCodec.fingerprint(command);
        if (!id.isNone()) {
            Optional<ApplyResult> earlier = sessions.check(id, fingerprint, clockMs);
            if (earlier.isPresent()) {
                return earlier.get();
            }
        }
        ApplyResult result = write(command, index);
        if (!id.isNone() && result.isDecided()) {
            sessions.record(id, result, fingerprint, clockMs, limits.maxSessions());
        }
        return result;
    }

    private ApplyResult write(Command command, long index) {
        if (command instanceof Command.Set s) {
            return store(s.key(), s.value(), s.ttlSeconds(), index);
        }
        if (command instanceof Command.Cas c) {
            Stored current = data.get(c.key());
            if (current == null) {
                return NOT_FOUND;
            }
            if (current.version() != c.expectedVersion()) {
                return VERSION_MISMATCH;
            }
            return store(c.key(), c.value(), c.ttlSeconds(), index);
        }
        if (command instanceof Command.Delete d) {
            Stored removed = data.get(d.key());
            if (removed == null) {
                return NOT_FOUND;
            }
            data = data.minus(d.key());
            storeBytes -= entryBytes(d.key(), removed);
            unindex(d.key(), removed);
            return DELETED;
        }
        throw new IllegalStateException("not a write: " + command);
    }

    private ApplyResult store(ByteString key, ByteString value, long ttlSeconds, long version) {
        // ttlSeconds <= KvRules.MAX_TTL_SECONDS, so the product fits; the sum saturates on a clock near the end of time.
        long expiresAtMs = ttlSeconds == 0 ? 0 : saturatedAdd(clockMs, ttlSeconds * 1000);
        Stored previous = data.get(key);
        long growth = KvLimits.entryBytes(key.size(), value.size()) - (previous == null ? 0 : entryBytes(key, previous));
        if (growth > 0 && storeBytes + growth > limits.quotaBytes()) {
            return NO_SPACE;
        }
        storeBytes += growth;
        data = data.plus(key, new Stored(value, version, expiresAtMs));
        if (previous != null) {
            unindex(key, previous);
        }
        if (expiresAtMs != 0) {
            deadlines.add(new Deadline(expiresAtMs, key));
        }
        return new ApplyResult.Written(version);
    }

    private static long entryBytes(ByteString key, Stored stored) {
        return KvLimits.entryBytes(key.size(), stored.value().size());
    }

    private void unindex(ByteString key, Stored stored) {
        if (stored.expires()) {
            deadlines.remove(new Deadline(stored.expiresAtMs(), key));
        }
    }

    private void expireKeys() {
        while (!deadlines.isEmpty() && deadlines.first().atMs() <= clockMs) {
            ByteString key = deadlines.pollFirst().key();
            storeBytes -= entryBytes(key, data.get(key));
            data = data.minus(key);
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < a ? Long.MAX_VALUE : sum;
    }

    // ---- Reads -------------------------------------------------------------------------------

    /**
     * The key's live state as of {@code nowMs} (the reading node's clock). A key is absent once
     * its deadline is at or before {@code max(nowMs, clockMs())}: a reader whose clock runs ahead
     * may see a key expire before the log says so, but a key never reappears once the log has
     * expired it. Only {@link #apply} removes keys, so the same key may be present for a later
     * read with a smaller {@code nowMs}; use {@link #effectiveNowMs} to keep reads monotonic.
     */
    public Optional<Stored> get(ByteString key, long nowMs) {
        Stored stored = data.get(Objects.requireNonNull(key, "key"));
        if (stored == null || (stored.expires() && stored.expiresAtMs() <= effectiveNowMs(nowMs))) {
            return Optional.empty();
        }
        return Optional.of(stored);
    }

    /** The time a read at {@code nowMs} is judged at: never before the log's clock. */
    public long effectiveNowMs(long nowMs) {
        return Math.max(nowMs, clockMs);
    }

    /**
     * Whole seconds left until {@code expiresAtMs}, rounded up, as getm and GetMeta show it: a
     * key set with ttl 300 and read straight away shows 300; 0 means the key never expires
     * ({@code expiresAtMs == 0}); a key that will expire shows at least 1, even if its deadline
     * has already passed (such a key is absent from {@link #get}, so a caller never shows it).
     * Pass the {@link #effectiveNowMs} used for the read.
     */
    public static long ttlSecondsLeft(long expiresAtMs, long nowMs) {
        if (expiresAtMs == 0) {
            return 0;
        }
        long leftMs = expiresAtMs - nowMs;
        if (leftMs <= 0) {
            return 1;
        }
        return leftMs / 1000 + (leftMs % 1000 == 0 ? 0 : 1);
    }

    /** Index of the last entry applied; 0 before the first. */
    public long appliedIndex() {
        return appliedIndex;
    }

    /** The membership as of the applied index, or null if no membership change preceded it. */
    public Membership membership() {
        return membership.isEmpty() ? null : MembershipCodec.decode(membership);
    }

    /** Restores the membership a snapshot carried (encoded); for {@link KvSnapshot}. */
    void restoreMembership(ByteString encoded) {
        MembershipCodec.decode(encoded);
        membership = encoded;
    }

    /**
     * Forgets the membership: a machine restored into a new cluster (kv-server restore) takes its
     * members from that cluster's config, as a brand-new cluster does.
     */
    public void forgetMembership() {
        membership = ByteString.EMPTY;
    }

    /** Term of the last entry applied (for the snapshot's metadata); 0 before the first. */
    public long appliedTerm() {
        return appliedTerm;
    }

    /** The log's clock: the highest timestamp applied, in ms of the log's time; 0 before any. */
    public long clockMs() {
        return clockMs;
    }

    /**
     * The earliest deadline among live keys, or {@link Long#MAX_VALUE} if none expires. The leader
     * proposes a tick once its clock passes it, so that the key goes without waiting for a write.
     */
    public long nextDeadlineMs() {
        return deadlines.isEmpty() ? Long.MAX_VALUE : deadlines.first().atMs();
    }

    /** How many keys are held: the live ones as of {@link #clockMs()}. */
    public int size() {
        return data.size();
    }

    /** What the live keys count for toward {@link KvLimits#quotaBytes()}: see {@link KvLimits#entryBytes}. */
    public long storeBytes() {
        return storeBytes;
    }

    /** The exactly-once table; read-only outside this package. */
    public Sessions sessions() {
        return sessions;
    }

    // ---- Snapshots ---------------------------------------------------------------------------

    /**
     * The replicated state as of now (applied index and term, clock, keys, sessions), in O(1):
     * the maps are persistent, so later applies leave the view as it is. Write it with
     * {@link SnapshotView#writeTo} on any thread, while this machine goes on applying.
     */
    public SnapshotView snapshotView() {
        return new SnapshotView(appliedIndex, appliedTerm, clockMs, data, sessions.capture(), membership);
    }

    /**
     * Writes the whole state to {@code out} in the streamed format of internal.proto
     * (SnapshotRecord), ending with a CRC-32C of the stream. Flushes but does not close
     * {@code out}. Deterministic: equal states write equal bytes. The same as
     * {@code snapshotView().writeTo(out)}, on the owner's thread.
     */
    public void writeSnapshot(OutputStream out) throws IOException {
        snapshotView().writeTo(out);
    }

    /**
     * Reads a snapshot written by {@link #writeSnapshot}, verifying its checksum and structure.
     * Reads exactly the snapshot's bytes and does not close {@code in}; pass a buffered stream.
     *
     * @throws CorruptSnapshotException if the stream is truncated, corrupt or breaks the format
     */
    public static KvStateMachine readSnapshot(InputStream in) throws IOException {
        return KvSnapshot.read(in);
    }

    /** Every held key as of this call, in key order; immutable. */
    NavigableMap<ByteString, Stored> keys() {
        return data;
    }

    @Override
    public String toString() {
        return "KvStateMachine{applied=" + appliedIndex + "@" + appliedTerm + ", clockMs=" + clockMs
                + ", keys=" + data.size() + ", sessions=" + sessions.size() + "}";
    }
}
