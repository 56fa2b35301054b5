package raftkv.transport;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.AppendResponse;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.ReadIndexAck;
import raftkv.proto.raft.ReadIndexRequest;
import raftkv.proto.raft.ReadIndexResponse;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.TimeoutNowResponse;
import raftkv.proto.raft.VoteRequest;
import raftkv.proto.raft.VoteResponse;
import raftkv.raft.Entry;
import raftkv.raft.EntryType;
import raftkv.raft.MembershipCodec;
import raftkv.raft.Message;
import raftkv.raft.RaftCore;
import raftkv.raft.SnapshotMeta;

/**
 * The one mapping between the core's {@link Message} records and the messages of
 * {@code raft.proto}, in both directions.
 *
 * <p>The wire messages name only the sender of a request ({@code candidate_id}, {@code leader_id})
 * and nobody in a response: the transport knows which peer it called and which node it is, so the
 * decoders take the missing ids as parameters. Node ids, terms and indexes are {@code uint64} on the
 * wire and {@code long} in the records; a value at or above 2^63 does not fit and is rejected, and a
 * term above {@link RaftCore#MAX_TERM} (2^62) is rejected too, so that no peer pushes a term to where
 * the next election overflows.
 *
 * <p>The {@code cluster_id} of every message is not read here: {@link ClusterGuard} checks and stamps it.
 *
 * <p>Every decoder validates what it reads and throws {@link IllegalArgumentException} naming the
 * offending field, so that a receiver can answer {@code INVALID_ARGUMENT} and a broken peer never
 * puts a malformed message into the core. The encoders trust the core's records.
 */
public final class ProtoCodec {
    private ProtoCodec() {}

    // ------------------------------------------------------------------ RequestVote

    public static VoteRequest toProto(Message.VoteRequest m) {
        return VoteRequest.newBuilder()
                .setTerm(m.term())
                .setCandidateId(m.from())
                .setLastLogIndex(m.lastLogIndex())
                .setLastLogTerm(m.lastLogTerm())
                .setPreVote(m.preVote())
                .setLeadershipTransfer(m.transfer())
                .build();
    }

    /** @param to this node's id: the request was addressed to it */
    public static Message.VoteRequest fromProto(VoteRequest p, long to) {
        long term = term("VoteRequest.term", p.getTerm());
        long from = u64("VoteRequest.candidate_id", p.getCandidateId());
        long lastIndex = u64("VoteRequest.last_log_index", p.getLastLogIndex());
        long lastTerm = u64("VoteRequest.last_log_term", p.getLastLogTerm());
        if (lastTerm > term) {
            throw invalid("VoteRequest.last_log_term: " + lastTerm + " is above the candidate's term " + term);
        }
        if ((lastIndex == 0) != (lastTerm == 0)) {
            throw invalid("VoteRequest.last_log_term: " + lastTerm + " does not fit last_log_index " + lastIndex
                    + " (both are 0 for an empty log, both > 0 otherwise)");
        }
        if (p.getPreVote() && p.getLeadershipTransfer()) {
            throw invalid("VoteRequest: pre_vote and leadership_transfer are never set together");
        }
        return new Message.VoteRequest(from, to, term, lastIndex, lastTerm, p.getPreVote(), p.getLeadershipTransfer());
    }

    public static VoteResponse toProto(Message.VoteResponse m) {
        return VoteResponse.newBuilder()
                .setTerm(m.term())
                .setVoteGranted(m.granted())
                .setPreVote(m.preVote())
                .build();
    }

    /**
     * @param from the peer that was called
     * @param to   this node's id
     */
    public static Message.VoteResponse fromProto(VoteResponse p, long from, long to) {
        long term = boundedTerm("VoteResponse.term", p.getTerm());
        return new Message.VoteResponse(from, to, term, p.getVoteGranted(), p.getPreVote());
    }

    // ------------------------------------------------------------------ AppendEntries

    public static AppendRequest toProto(Message.AppendRequest m) {
        AppendRequest.Builder b = AppendRequest.newBuilder()
                .setTerm(m.term())
                .setLeaderId(m.from())
                .setPrevLogIndex(m.prevLogIndex())
                .setPrevLogTerm(m.prevLogTerm())
                .setLeaderCommit(m.leaderCommit())
                .setReadSeq(m.readSeq());
        for (Entry e : m.entries()) b.addEntries(toProto(e));
        return b.build();
    }

    /**
     * Besides each field, checks what the core relies on: entries are consecutive from
     * {@code prev_log_index + 1}, their terms never decrease and never exceed the leader's term.
     *
     * @param to this node's id
     */
    public static Message.AppendRequest fromProto(AppendRequest p, long to) {
        long term = term("AppendRequest.term", p.getTerm());
        long from = u64("AppendRequest.leader_id", p.getLeaderId());
        long prevIndex = u64("AppendRequest.prev_log_index", p.getPrevLogIndex());
        long prevTerm = u64("AppendRequest.prev_log_term", p.getPrevLogTerm());
        long commit = u64("AppendRequest.leader_commit", p.getLeaderCommit());
        long readSeq = u64("AppendRequest.read_seq", p.getReadSeq());
        if ((prevIndex == 0) != (prevTerm == 0)) {
            throw invalid("AppendRequest.prev_log_term: " + prevTerm + " does not fit prev_log_index " + prevIndex
                    + " (0 exactly when prev_log_index is 0)");
        }
        if (prevTerm > term) {
            throw invalid("AppendRequest.prev_log_term: " + prevTerm + " is above the leader's term " + term);
        }
        List<Entry> entries = new ArrayList<>(p.getEntriesCount());
        long lastTerm = prevTerm;
        for (int i = 0; i < p.getEntriesCount(); i++) {
            Entry e = entryOf(p, i);
            if (e.index() != prevIndex + 1 + i) {
                throw invalid("AppendRequest.entries[" + i + "].index: " + e.index() + ", expected " + (prevIndex + 1 + i)
                        + " (entries are consecutive from prev_log_index + 1)");
            }
            if (e.term() < lastTerm || e.term() > term) {
                throw invalid("AppendRequest.entries[" + i + "].term: " + e.term() + " is outside [" + lastTerm + ", " + term
                        + "] (terms never decrease along the log and never exceed the leader's term)");
            }
            lastTerm = e.term();
            entries.add(e);
        }
        return new Message.AppendRequest(from, to, term, prevIndex, prevTerm, entries, commit, readSeq);
    }

    public static AppendResponse toProto(Message.AppendResponse m) {
        return AppendResponse.newBuilder()
                .setTerm(m.term())
                .setSuccess(m.success())
                .setMatchIndex(m.matchIndex())
                .setRejectHintIndex(m.hintIndex())
                .setRejectHintTerm(m.hintTerm())
                .setRejectedIndex(m.rejectedIndex())
                .setReadSeq(m.readSeq())
                .build();
    }

    /**
     * @param from the peer that was called
     * @param to   this node's id
     */
    public static Message.AppendResponse fromProto(AppendResponse p, long from, long to) {
        long term = boundedTerm("AppendResponse.term", p.getTerm());
        long match = u64("AppendResponse.match_index", p.getMatchIndex());
        long hintIndex = u64("AppendResponse.reject_hint_index", p.getRejectHintIndex());
        long hintTerm = boundedTerm("AppendResponse.reject_hint_term", p.getRejectHintTerm());
        long rejected = u64("AppendResponse.rejected_index", p.getRejectedIndex());
        long readSeq = u64("AppendResponse.read_seq", p.getReadSeq());
        if (p.getSuccess() && (hintIndex != 0 || hintTerm != 0 || rejected != 0)) {
            throw invalid("AppendResponse: success with reject_hint_index " + hintIndex + ", reject_hint_term "
                    + hintTerm + ", rejected_index " + rejected + " (all 0 on success)");
        }
        if (!p.getSuccess() && match != 0) {
            throw invalid("AppendResponse.match_index: " + match + " on a rejection (0 on rejection)");
        }
        return new Message.AppendResponse(from, to, term, p.getSuccess(), match, rejected, hintIndex, hintTerm, readSeq);
    }

    // ------------------------------------------------------------------ TimeoutNow

    public static TimeoutNowRequest toProto(Message.TimeoutNow m) {
        return TimeoutNowRequest.newBuilder().setTerm(m.term()).setLeaderId(m.from()).build();
    }

    /** @param to this node's id */
    public static Message.TimeoutNow fromProto(TimeoutNowRequest p, long to) {
        long term = term("TimeoutNowRequest.term", p.getTerm());
        long from = u64("TimeoutNowRequest.leader_id", p.getLeaderId());
        return new Message.TimeoutNow(from, to, term);
    }

    /** The core has no record for this reply; it carries only a term. */
    public static TimeoutNowResponse timeoutNowResponse(long term) {
        return TimeoutNowResponse.newBuilder().setTerm(boundedTerm("TimeoutNowResponse.term", term)).build();
    }

    /** @return the target's term */
    public static long fromProto(TimeoutNowResponse p) {
        return boundedTerm("TimeoutNowResponse.term", p.getTerm());
    }

    // ------------------------------------------------------------------ ReadIndex

    public static ReadIndexRequest toProto(Message.ReadIndexRequest m) {
        return ReadIndexRequest.newBuilder().setTerm(m.term()).setFollowerId(m.from()).setContext(m.context()).build();
    }

    /** @param to this node's id; the context is any 64-bit value */
    public static Message.ReadIndexRequest fromProto(ReadIndexRequest p, long to) {
        long term = term("ReadIndexRequest.term", p.getTerm());
        long from = u64("ReadIndexRequest.follower_id", p.getFollowerId());
        return new Message.ReadIndexRequest(from, to, term, p.getContext());
    }

    public static ReadIndexResponse toProto(Message.ReadIndexResponse m) {
        return ReadIndexResponse.newBuilder()
                .setTerm(m.term())
                .setLeaderId(m.from())
                .setContext(m.context())
                .setGranted(m.granted())
                .setReadIndex(m.index())
                .build();
    }

    /**
     * Checks that a granted answer names an index (a leader grants only once it has committed an
     * entry of its term, so never 0) and a refusal none.
     *
     * @param to this node's id
     */
    public static Message.ReadIndexResponse fromProto(ReadIndexResponse p, long to) {
        long term = term("ReadIndexResponse.term", p.getTerm());
        long from = u64("ReadIndexResponse.leader_id", p.getLeaderId());
        long index = u64("ReadIndexResponse.read_index", p.getReadIndex());
        if (p.getGranted() && index == 0) {
            throw invalid("ReadIndexResponse.read_index: missing on a granted answer (a leader's commit index is at least 1)");
        }
        if (!p.getGranted() && index != 0) {
            throw invalid("ReadIndexResponse.read_index: " + index + " on a refusal (0 unless granted)");
        }
        return new Message.ReadIndexResponse(from, to, term, p.getContext(), p.getGranted(), index);
    }

    /** The core has no record for this reply; it carries only the message's term. */
    public static ReadIndexAck readIndexAck(long term) {
        return ReadIndexAck.newBuilder().setTerm(boundedTerm("ReadIndexAck.term", term)).build();
    }

    /** Validates the acknowledgement; it carries nothing for the core. */
    public static void fromProto(ReadIndexAck p) {
        boundedTerm("ReadIndexAck.term", p.getTerm());
    }

    // ------------------------------------------------------------------ InstallSnapshot

    /**
     * The header of every stream that ships a snapshot for {@code m}: the request's term and
     * sender, and the identity of the file actually sent, which may be newer than the one the core
     * named (any committed snapshot at or past it serves).
     *
     * @param snapshot  the meta of the file sent
     * @param voters    the voting members, ascending, without duplicates
     * @param totalSize the file's length in bytes
     */
    public static SnapshotHeader snapshotHeader(Message.SnapshotRequest m, SnapshotMeta snapshot,
                                                Collection<Long> voters, long totalSize) {
        return SnapshotHeader.newBuilder()
                .setTerm(m.term())
                .setLeaderId(m.from())
                .setLastIncludedIndex(snapshot.index())
                .setLastIncludedTerm(snapshot.term())
                .addAllVoters(voters)
                .setTotalSize(totalSize)
                .build();
    }

    /**
     * The request the node sees once the whole snapshot a stream announced has arrived. Checks that
     * the header names a real snapshot (index and term both above 0, its term at most the leader's)
     * and that voters are ascending without duplicates; {@link #totalSize} reads the size.
     *
     * @param to this node's id
     */
    public static Message.SnapshotRequest fromProto(SnapshotHeader p, long to) {
        long term = term("SnapshotHeader.term", p.getTerm());
        long from = u64("SnapshotHeader.leader_id", p.getLeaderId());
        long index = u64("SnapshotHeader.last_included_index", p.getLastIncludedIndex());
        long lastTerm = u64("SnapshotHeader.last_included_term", p.getLastIncludedTerm());
        if (index == 0) throw invalid("SnapshotHeader.last_included_index: missing (a snapshot covers at least entry 1)");
        if (lastTerm == 0) throw invalid("SnapshotHeader.last_included_term: missing (an entry's term is never 0)");
        if (lastTerm > term) {
            throw invalid("SnapshotHeader.last_included_term: " + lastTerm + " is above the leader's term " + term);
        }
        long previous = -1;
        for (int i = 0; i < p.getVotersCount(); i++) {
            long voter = u64("SnapshotHeader.voters[" + i + "]", p.getVoters(i));
            if (voter <= previous) throw invalid("SnapshotHeader.voters: not ascending without duplicates: " + p.getVotersList());
            previous = voter;
        }
        totalSize(p);
        return new Message.SnapshotRequest(from, to, term, new SnapshotMeta(index, lastTerm));
    }

    /** The snapshot's length in bytes, as its header announces it. */
    public static long totalSize(SnapshotHeader p) {
        return u64("SnapshotHeader.total_size", p.getTotalSize());
    }

    /** Where a chunk's data starts within the snapshot. */
    public static long offset(SnapshotChunk p) {
        return u64("SnapshotChunk.offset", p.getOffset());
    }

    /**
     * The follower's answer once its node has replied: success exactly when the node's log now
     * matches the leader's up to {@code matchIndex > 0}, and then the follower holds every byte.
     *
     * @param totalSize the snapshot's length, from the stream's header
     */
    public static InstallSnapshotResponse toProto(Message.SnapshotResponse m, long totalSize) {
        boolean success = m.matchIndex() > 0;
        return InstallSnapshotResponse.newBuilder()
                .setTerm(m.term())
                .setSuccess(success)
                .setNextOffset(success ? totalSize : 0)
                .setMatchIndex(m.matchIndex())
                .build();
    }

    /**
     * The follower transport's own answer to a stream that did not end in an installed snapshot:
     * how many bytes of it the follower holds. It carries the stream's term, not the node's, which
     * the transport does not see; an answer the node never saw must not make the leader step down.
     */
    public static InstallSnapshotResponse snapshotProgress(long term, long nextOffset) {
        return InstallSnapshotResponse.newBuilder().setTerm(term).setNextOffset(nextOffset).build();
    }

    /**
     * The core's view of a follower's answer; {@link #nextOffset} reads where a resumed stream starts.
     *
     * @param from the peer that was called
     * @param to   this node's id
     */
    public static Message.SnapshotResponse fromProto(InstallSnapshotResponse p, long from, long to) {
        long term = boundedTerm("InstallSnapshotResponse.term", p.getTerm());
        long match = u64("InstallSnapshotResponse.match_index", p.getMatchIndex());
        nextOffset(p);
        if (p.getSuccess() && match == 0) throw invalid("InstallSnapshotResponse.match_index: missing on success");
        if (!p.getSuccess() && match != 0) {
            throw invalid("InstallSnapshotResponse.match_index: " + match + " on a failure (0 unless success)");
        }
        return new Message.SnapshotResponse(from, to, term, match);
    }

    /** How many bytes of the snapshot the follower holds. */
    public static long nextOffset(InstallSnapshotResponse p) {
        return u64("InstallSnapshotResponse.next_offset", p.getNextOffset());
    }

    // ------------------------------------------------------------------ Entry

    public static raftkv.proto.raft.Entry toProto(Entry e) {
        return raftkv.proto.raft.Entry.newBuilder()
                .setIndex(e.index())
                .setTerm(e.term())
                .setType(switch (e.type()) {
                    case NORMAL -> raftkv.proto.raft.EntryType.ENTRY_TYPE_NORMAL;
                    case NOOP -> raftkv.proto.raft.EntryType.ENTRY_TYPE_NOOP;
                    case CONFIG -> raftkv.proto.raft.EntryType.ENTRY_TYPE_CONFIG;
                })
                .setData(e.data())
                .build();
    }

    public static Entry fromProto(raftkv.proto.raft.Entry p) {
        return fromProto(p, "Entry");
    }

    /**
     * Entry {@code i} of an AppendRequest, checked as {@link #fromProto(raftkv.proto.raft.Entry, String)}
     * checks it; the field's name is formatted only for an error (this runs for every replicated entry).
     */
    private static Entry entryOf(AppendRequest p, int i) {
        raftkv.proto.raft.Entry e = p.getEntries(i);
        raftkv.proto.raft.EntryType type = e.getType();
        boolean wellFormed = e.getIndex() > 0 && e.getTerm() > 0
                && (type == raftkv.proto.raft.EntryType.ENTRY_TYPE_NORMAL
                    || (type == raftkv.proto.raft.EntryType.ENTRY_TYPE_NOOP && e.getData().isEmpty()));
        if (!wellFormed) return fromProto(e, "AppendRequest.entries[" + i + "]"); // throws, naming the field
        return new Entry(e.getIndex(), e.getTerm(),
                type == raftkv.proto.raft.EntryType.ENTRY_TYPE_NORMAL ? EntryType.NORMAL : EntryType.NOOP, e.getData());
    }

    private static Entry fromProto(raftkv.proto.raft.Entry p, String field) {
        long index = u64(field + ".index", p.getIndex());
        long term = u64(field + ".term", p.getTerm());
        if (index == 0) throw invalid(field + ".index: missing (log indexes start at 1)");
        if (term == 0) throw invalid(field + ".term: missing (an entry's term is never 0)");
        EntryType type = switch (p.getType()) {
            case ENTRY_TYPE_NORMAL -> EntryType.NORMAL;
            case ENTRY_TYPE_NOOP -> EntryType.NOOP;
            case ENTRY_TYPE_CONFIG -> EntryType.CONFIG;
            case ENTRY_TYPE_UNSPECIFIED -> throw invalid(field + ".type: missing (ENTRY_TYPE_UNSPECIFIED)");
            case UNRECOGNIZED -> throw invalid(field + ".type: unknown entry type " + p.getTypeValue());
        };
        if (type == EntryType.NOOP && !p.getData().isEmpty()) {
            throw invalid(field + ".data: " + p.getData().size() + " bytes in a no-op entry (must be empty)");
        }
        if (type == EntryType.CONFIG) {
            try {
                MembershipCodec.decode(p.getData());
            } catch (IllegalArgumentException e) {
                throw invalid(field + ".data: " + e.getMessage());
            }
        }
        return new Entry(index, term, type, p.getData());
    }

    // ------------------------------------------------------------------ checks

    /** A uint64 read into a long: values of 2^63 and above come out negative and are refused. */
    private static long u64(String field, long value) {
        if (value < 0) throw invalid(field + ": " + Long.toUnsignedString(value) + " is out of range (above 2^63 - 1)");
        return value;
    }

    /** The term of a request: the sender's current term, never 0, at most {@link RaftCore#MAX_TERM}. */
    private static long term(String field, long value) {
        if (boundedTerm(field, value) == 0) throw invalid(field + ": missing (a request's term is never 0)");
        return value;
    }

    /** Any term: at most {@link RaftCore#MAX_TERM}, which a real cluster never reaches. */
    private static long boundedTerm(String field, long value) {
        if (u64(field, value) > RaftCore.MAX_TERM) {
            throw invalid(field + ": " + value + " is above the bound of 2^62 for terms");
        }
        return value;
    }

    private static IllegalArgumentException invalid(String message) {
        return new IllegalArgumentException(message);
    }
}
