package raftkv.raft;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import raftkv.raft.Message.AppendRequest;
import raftkv.raft.Message.VoteRequest;

/** Configurations, logs and hand-made messages for the rule tests. */
final class Fixtures {
    static final List<Long> THREE = List.of(1L, 2L, 3L);
    static final List<Long> FIVE = List.of(1L, 2L, 3L, 4L, 5L);
    static final int ELECTION_TICKS = 10;

    private Fixtures() {}

    /**
     * The knobs of {@link RaftConfig} that tests vary. {@link #PAPER} is Raft as the paper
     * describes it; {@link #THESIS} adds pre-vote and check-quorum, as the node runs it.
     */
    record Opts(int electionTicks, int heartbeatTicks, boolean preVote, boolean checkQuorum,
                int maxEntriesPerAppend, long maxBytesPerAppend, int maxInflight) {
        static final Opts PAPER = new Opts(ELECTION_TICKS, 1, false, false, 512, 1 << 20, 256);
        static final Opts THESIS = new Opts(ELECTION_TICKS, 1, true, true, 512, 1 << 20, 256);

        Opts heartbeatTicks(int ticks) {
            return new Opts(electionTicks, ticks, preVote, checkQuorum, maxEntriesPerAppend, maxBytesPerAppend, maxInflight);
        }

        Opts preVote(boolean on) {
            return new Opts(electionTicks, heartbeatTicks, on, checkQuorum, maxEntriesPerAppend, maxBytesPerAppend, maxInflight);
        }

        Opts checkQuorum(boolean on) {
            return new Opts(electionTicks, heartbeatTicks, preVote, on, maxEntriesPerAppend, maxBytesPerAppend, maxInflight);
        }

        Opts limits(int maxEntries, long maxBytes, int inflight) {
            return new Opts(electionTicks, heartbeatTicks, preVote, checkQuorum, maxEntries, maxBytes, inflight);
        }

        RaftConfig config(long id, List<Long> voters) {
            return new RaftConfig(id, voters, electionTicks, heartbeatTicks, preVote, checkQuorum,
                    maxEntriesPerAppend, maxBytesPerAppend, maxInflight);
        }
    }

    static ByteString data(String s) {
        return ByteString.copyFromUtf8(s);
    }

    static Entry entry(long index, long term) {
        return Entry.normal(index, term, data(index + "@" + term));
    }

    /** A log starting at index 1 whose entry i has term {@code terms[i-1]}. */
    static List<Entry> log(long... terms) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) out.add(entry(i + 1, terms[i]));
        return out;
    }

    /** {@code count} copies of {@code term}, to build long logs with {@link #concat}. */
    static long[] run(long term, int count) {
        long[] out = new long[count];
        java.util.Arrays.fill(out, term);
        return out;
    }

    static long[] concat(long[]... parts) {
        int n = 0;
        for (long[] p : parts) n += p.length;
        long[] out = new long[n];
        int i = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, i, p.length);
            i += p.length;
        }
        return out;
    }

    static AppendRequest append(long from, long to, long term, long prevIndex, long prevTerm,
                                List<Entry> entries, long leaderCommit) {
        return new AppendRequest(from, to, term, prevIndex, prevTerm, entries, leaderCommit, 0);
    }

    static AppendRequest heartbeat(long from, long to, long term, long prevIndex, long prevTerm, long leaderCommit) {
        return append(from, to, term, prevIndex, prevTerm, List.of(), leaderCommit);
    }

    static VoteRequest vote(long from, long to, long term, long lastIndex, long lastTerm) {
        return new VoteRequest(from, to, term, lastIndex, lastTerm, false, false);
    }

    static VoteRequest preVote(long from, long to, long term, long lastIndex, long lastTerm) {
        return new VoteRequest(from, to, term, lastIndex, lastTerm, true, false);
    }

    /** The messages of one type among {@code messages}, in order. */
    static <T extends Message> List<T> only(Class<T> type, List<? extends Message> messages) {
        return messages.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The messages of one type addressed to {@code to}, in order. */
    static <T extends Message> List<T> only(Class<T> type, long to, List<? extends Message> messages) {
        return only(type, messages).stream().filter(m -> m.to() == to).toList();
    }
}
