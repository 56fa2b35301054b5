package raftkv.raft;

import com.google.protobuf.ByteString;
import java.util.Objects;

/**
 * One entry of the replicated log.
 *
 * @param index position in the log, starting at 1
 * @param term  the leader's term when the entry was created
 * @param type  {@link EntryType#NOOP} for the entry a new leader appends to commit its term,
 *              {@link EntryType#CONFIG} for a membership
 * @param data  opaque to Raft: the encoded state machine command (empty for a no-op)
 */
public record Entry(long index, long term, EntryType type, ByteString data) {
    public Entry {
        if (index < 1) throw new IllegalArgumentException("entry index must be >= 1, got " + index);
        if (term < 1) throw new IllegalArgumentException("entry term must be >= 1, got " + term);
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
    }

    public static Entry noop(long index, long term) {
        return new Entry(index, term, EntryType.NOOP, ByteString.EMPTY);
    }

    public static Entry normal(long index, long term, ByteString data) {
        return new Entry(index, term, EntryType.NORMAL, data);
    }

    public static Entry config(long index, long term, Membership membership) {
        return new Entry(index, term, EntryType.CONFIG, MembershipCodec.encode(membership));
    }

    /** Bytes this entry adds to a message, for batching limits. */
    public long sizeBytes() {
        return data.size() + 24L;
    }
}
