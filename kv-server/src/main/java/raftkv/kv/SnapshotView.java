package raftkv.kv;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.util.NavigableMap;
import org.pcollections.TreePMap;

/**
 * The replicated state of a {@link KvStateMachine} as it was after one applied entry, captured in
 * O(1) by {@link KvStateMachine#snapshotView()}. The machine's maps are persistent: later applies
 * build new maps and leave these whole. So a view is immutable, and its owner may hand it to
 * another thread to write while the machine goes on applying; that is how the node takes a
 * snapshot without a pause proportional to the data.
 *
 * <p>A class, not a record: only a machine makes one, so a view always holds a state that a
 * machine reached (deadlines above the clock, sessions within the hour), as the reader requires.
 */
public final class SnapshotView {
    private final long index;
    private final long term;
    private final long clockMs;
    // Final fields of immutable maps: safely published to whichever thread writes the view.
    private final TreePMap<ByteString, Stored> keys;
    private final TreePMap<Long, Sessions.Session> sessions;
    // The encoded membership as of index (raftkv.raft.MembershipCodec); empty if no change preceded it.
    private final ByteString membership;

    SnapshotView(long index, long term, long clockMs, TreePMap<ByteString, Stored> keys,
            TreePMap<Long, Sessions.Session> sessions, ByteString membership) {
        this.membership = membership;
        this.index = index;
        this.term = term;
        this.clockMs = clockMs;
        this.keys = keys;
        this.sessions = sessions;
    }

    /** The encoded membership as of {@link #index()}; empty if no membership change preceded it. */
    public ByteString membership() {
        return membership;
    }

    /** Index of the last entry applied at capture: the snapshot replaces the log up to it; 0 if none. */
    public long index() {
        return index;
    }

    /** Term of that entry; 0 if none. */
    public long term() {
        return term;
    }

    /** The log's clock at capture, in ms since the epoch. */
    public long clockMs() {
        return clockMs;
    }

    /** How many keys the snapshot holds. */
    public int keyCount() {
        return keys.size();
    }

    /** How many sessions (exactly-once entries) the snapshot holds. */
    public int sessionCount() {
        return sessions.size();
    }

    /**
     * Writes this state to {@code out} in the streamed format of internal.proto (SnapshotRecord),
     * ending with a CRC-32C of the stream: the bytes {@link KvStateMachine#writeSnapshot} wrote at
     * capture. Flushes but does not close {@code out}. Deterministic: equal states write equal
     * bytes. Safe on any thread, any number of times, while the machine goes on applying.
     */
    public void writeTo(OutputStream out) throws IOException {
        KvSnapshot.write(this, out);
    }

    /** The keys in key order, for {@link KvSnapshot}. */
    NavigableMap<ByteString, Stored> keys() {
        return keys;
    }

    /** The sessions in (signed) client id order, for {@link KvSnapshot}. */
    NavigableMap<Long, Sessions.Session> sessions() {
        return sessions;
    }

    @Override
    public String toString() {
        return "SnapshotView{applied=" + index + "@" + term + ", clockMs=" + clockMs + ", keys=" + keys.size()
                + ", sessions=" + sessions.size() + "}";
    }
}
