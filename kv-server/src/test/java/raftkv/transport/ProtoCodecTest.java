package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.AppendResponse;
import raftkv.proto.raft.EntryType;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.proto.raft.ReadIndexAck;
import raftkv.proto.raft.ReadIndexRequest;
import raftkv.proto.raft.ReadIndexResponse;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.TimeoutNowResponse;
import raftkv.proto.raft.VoteRequest;
import raftkv.proto.raft.VoteResponse;
import raftkv.raft.Entry;
import raftkv.raft.Message;
import raftkv.raft.RaftCore;
import raftkv.raft.SnapshotMeta;

/**
 * Every message kind survives record -> proto -> bytes -> proto -> record unchanged, and every
 * malformed inbound message is refused with an error that names the field.
 */
class ProtoCodecTest {
    private static final long SELF = 2;
    private static final long PEER = 7;
    /** Every byte value, CR LF and NUL included. */
    private static final ByteString BINARY = allBytes();

    static Stream<Message.VoteRequest> voteRequests() {
        return Stream.of(
                new Message.VoteRequest(PEER, SELF, 5, 10, 4, false, false),
                new Message.VoteRequest(PEER, SELF, 6, 10, 4, true, false),
                new Message.VoteRequest(PEER, SELF, 6, 10, 4, false, true),
                new Message.VoteRequest(0, SELF, 1, 0, 0, true, false),
                new Message.VoteRequest(Long.MAX_VALUE, SELF, RaftCore.MAX_TERM, Long.MAX_VALUE, RaftCore.MAX_TERM, false, false));
    }

    @ParameterizedTest
    @MethodSource("voteRequests")
    void voteRequestRoundTrips(Message.VoteRequest m) throws Exception {
        VoteRequest wire = reparse(ProtoCodec.toProto(m), VoteRequest::parseFrom);
        assertEquals(m, ProtoCodec.fromProto(wire, SELF));
    }

    static Stream<Message.VoteResponse> voteResponses() {
        return Stream.of(
                new Message.VoteResponse(PEER, SELF, 5, true, false),
                new Message.VoteResponse(PEER, SELF, 5, false, false),
                new Message.VoteResponse(PEER, SELF, 6, true, true),
                new Message.VoteResponse(PEER, SELF, 0, false, true)); // a fresh voter refusing a pre-vote
    }

    @ParameterizedTest
    @MethodSource("voteResponses")
    void voteResponseRoundTrips(Message.VoteResponse m) throws Exception {
        VoteResponse wire = reparse(ProtoCodec.toProto(m), VoteResponse::parseFrom);
        assertEquals(m, ProtoCodec.fromProto(wire, PEER, SELF));
    }

    static Stream<Message.AppendRequest> appendRequests() {
        return Stream.of(
                new Message.AppendRequest(PEER, SELF, 3, 0, 0, List.of(), 0, 0),
                new Message.AppendRequest(PEER, SELF, 3, 41, 2, List.of(), 40, 9),
                new Message.AppendRequest(PEER, SELF, 3, 41, 2, List.of(
                        Entry.normal(42, 2, BINARY),
                        Entry.noop(43, 3),
                        Entry.normal(44, 3, ByteString.EMPTY),
                        Entry.normal(45, 3, ByteString.copyFromUtf8("set k 0 2\r\nv\0\r\n"))), 43, 1),
                new Message.AppendRequest(PEER, SELF, 1, 0, 0, List.of(Entry.noop(1, 1)), 0, 0));
    }

    @ParameterizedTest
    @MethodSource("appendRequests")
    void appendRequestRoundTrips(Message.AppendRequest m) throws Exception {
        AppendRequest wire = reparse(ProtoCodec.toProto(m), AppendRequest::parseFrom);
        assertEquals(m, ProtoCodec.fromProto(wire, SELF));
    }

    static Stream<Message.AppendResponse> appendResponses() {
        return Stream.of(
                new Message.AppendResponse(PEER, SELF, 3, true, 45, 0, 0, 0, 9),
                new Message.AppendResponse(PEER, SELF, 3, false, 0, 41, 30, 2, 9),
                new Message.AppendResponse(PEER, SELF, 4, false, 0, 41, 0, 0, 0));
    }

    @ParameterizedTest
    @MethodSource("appendResponses")
    void appendResponseRoundTrips(Message.AppendResponse m) throws Exception {
        AppendResponse wire = reparse(ProtoCodec.toProto(m), AppendResponse::parseFrom);
        assertEquals(m, ProtoCodec.fromProto(wire, PEER, SELF));
    }

    @Test
    void timeoutNowRoundTrips() throws Exception {
        Message.TimeoutNow m = new Message.TimeoutNow(PEER, SELF, 8);
        TimeoutNowRequest wire = reparse(ProtoCodec.toProto(m), TimeoutNowRequest::parseFrom);
        assertEquals(m, ProtoCodec.fromProto(wire, SELF));
        TimeoutNowResponse reply = reparse(ProtoCodec.timeoutNowResponse(8), TimeoutNowResponse::parseFrom);
        assertEquals(8, ProtoCodec.fromProto(reply));
    }

    @Test
    void readIndexMessagesRoundTrip() throws Exception {
        // Contexts are any 64-bit value, those at or above 2^63 included (negative as a long).
        for (long context : new long[] {0, 1, Long.MAX_VALUE, -1, Long.MIN_VALUE}) {
            Message.ReadIndexRequest q = new Message.ReadIndexRequest(PEER, SELF, 8, context);
            assertEquals(q, ProtoCodec.fromProto(reparse(ProtoCodec.toProto(q), ReadIndexRequest::parseFrom), SELF));
            Message.ReadIndexResponse granted = new Message.ReadIndexResponse(PEER, SELF, 8, context, true, 1234);
            assertEquals(granted, ProtoCodec.fromProto(reparse(ProtoCodec.toProto(granted), ReadIndexResponse::parseFrom), SELF));
            Message.ReadIndexResponse refused = new Message.ReadIndexResponse(PEER, SELF, 9, context, false, 0);
            assertEquals(refused, ProtoCodec.fromProto(reparse(ProtoCodec.toProto(refused), ReadIndexResponse::parseFrom), SELF));
        }
        ProtoCodec.fromProto(reparse(ProtoCodec.readIndexAck(8), ReadIndexAck::parseFrom));
    }

    @Test
    void malformedReadIndexMessagesAreRefused() {
        rejects("ReadIndexRequest.term: missing", () -> ProtoCodec.fromProto(ReadIndexRequest.newBuilder().setFollowerId(1).build(), SELF));
        rejects("ReadIndexRequest.follower_id: 18446744073709551615 is out of range",
                () -> ProtoCodec.fromProto(ReadIndexRequest.newBuilder().setTerm(3).setFollowerId(-1).build(), SELF));
        rejects("ReadIndexResponse.term: missing",
                () -> ProtoCodec.fromProto(ReadIndexResponse.newBuilder().setLeaderId(1).setGranted(true).setReadIndex(4).build(), SELF));
        rejects("ReadIndexResponse.read_index: missing on a granted answer",
                () -> ProtoCodec.fromProto(ReadIndexResponse.newBuilder().setTerm(3).setLeaderId(1).setGranted(true).build(), SELF));
        rejects("ReadIndexResponse.read_index: 4 on a refusal",
                () -> ProtoCodec.fromProto(ReadIndexResponse.newBuilder().setTerm(3).setLeaderId(1).setReadIndex(4).build(), SELF));
        rejects("ReadIndexResponse.read_index: 18446744073709551615 is out of range",
                () -> ProtoCodec.fromProto(ReadIndexResponse.newBuilder().setTerm(3).setLeaderId(1).setGranted(true).setReadIndex(-1).build(), SELF));
        long over = RaftCore.MAX_TERM + 1;
        rejects("ReadIndexRequest.term: " + over + " is above",
                () -> ProtoCodec.fromProto(ReadIndexRequest.newBuilder().setTerm(over).setFollowerId(PEER).build(), SELF));
        rejects("ReadIndexResponse.term: " + over + " is above",
                () -> ProtoCodec.fromProto(ReadIndexResponse.newBuilder().setTerm(over).setLeaderId(PEER).build(), SELF));
        rejects("ReadIndexAck.term: " + over + " is above", () -> ProtoCodec.fromProto(ReadIndexAck.newBuilder().setTerm(over).build()));
    }

    @Test
    void snapshotHeaderAndAnswersRoundTrip() throws Exception {
        // The core named index 90; the file sent is newer, and the header names the file.
        Message.SnapshotRequest asked = new Message.SnapshotRequest(PEER, SELF, 6, new SnapshotMeta(90, 5));
        SnapshotHeader wire = reparse(ProtoCodec.snapshotHeader(asked, new SnapshotMeta(120, 6), List.of(2L, 7L, 9L), 12345),
                SnapshotHeader::parseFrom);
        assertEquals(new Message.SnapshotRequest(PEER, SELF, 6, new SnapshotMeta(120, 6)), ProtoCodec.fromProto(wire, SELF));
        assertEquals(List.of(2L, 7L, 9L), wire.getVotersList());
        assertEquals(12345, ProtoCodec.totalSize(wire));

        InstallSnapshotResponse installed = reparse(ProtoCodec.toProto(new Message.SnapshotResponse(SELF, PEER, 6, 130), 12345),
                InstallSnapshotResponse::parseFrom);
        assertEquals(InstallSnapshotResponse.newBuilder().setTerm(6).setSuccess(true).setNextOffset(12345).setMatchIndex(130).build(),
                installed);
        assertEquals(new Message.SnapshotResponse(SELF, PEER, 6, 130), ProtoCodec.fromProto(installed, SELF, PEER));
        InstallSnapshotResponse stale = ProtoCodec.toProto(new Message.SnapshotResponse(SELF, PEER, 8, 0), 12345);
        assertEquals(InstallSnapshotResponse.newBuilder().setTerm(8).build(), stale);
        InstallSnapshotResponse progress = ProtoCodec.snapshotProgress(6, 4096);
        assertEquals(new Message.SnapshotResponse(SELF, PEER, 6, 0), ProtoCodec.fromProto(progress, SELF, PEER));
        assertEquals(4096, ProtoCodec.nextOffset(progress));
    }

    @Test
    void malformedSnapshotHeadersAndAnswersAreRefused() {
        SnapshotHeader good = SnapshotHeader.newBuilder().setTerm(6).setLeaderId(PEER).setLastIncludedIndex(120)
                .setLastIncludedTerm(6).addVoters(2).addVoters(7).setTotalSize(10).build();
        rejects("SnapshotHeader.term: missing", () -> ProtoCodec.fromProto(good.toBuilder().setTerm(0).build(), SELF));
        rejects("SnapshotHeader.last_included_index: missing",
                () -> ProtoCodec.fromProto(good.toBuilder().setLastIncludedIndex(0).build(), SELF));
        rejects("SnapshotHeader.last_included_term: missing",
                () -> ProtoCodec.fromProto(good.toBuilder().setLastIncludedTerm(0).build(), SELF));
        rejects("SnapshotHeader.last_included_term: 7 is above the leader's term 6",
                () -> ProtoCodec.fromProto(good.toBuilder().setLastIncludedTerm(7).build(), SELF));
        rejects("SnapshotHeader.voters: not ascending without duplicates",
                () -> ProtoCodec.fromProto(good.toBuilder().addVoters(7).build(), SELF));
        rejects("SnapshotHeader.total_size: 18446744073709551615 is out of range",
                () -> ProtoCodec.fromProto(good.toBuilder().setTotalSize(-1).build(), SELF));
        rejects("InstallSnapshotResponse.match_index: missing on success",
                () -> ProtoCodec.fromProto(InstallSnapshotResponse.newBuilder().setTerm(6).setSuccess(true).build(), PEER, SELF));
        rejects("InstallSnapshotResponse.match_index: 5 on a failure",
                () -> ProtoCodec.fromProto(InstallSnapshotResponse.newBuilder().setTerm(6).setMatchIndex(5).build(), PEER, SELF));
        rejects("InstallSnapshotResponse.next_offset: 18446744073709551615 is out of range",
                () -> ProtoCodec.fromProto(InstallSnapshotResponse.newBuilder().setTerm(6).setNextOffset(-1).build(), PEER, SELF));
    }

    @Test
    void entryRoundTripsWithEveryType() throws Exception {
        for (Entry e : List.of(Entry.normal(1, 1, BINARY), Entry.noop(2, 1), Entry.normal(Long.MAX_VALUE, 9, ByteString.EMPTY))) {
            raftkv.proto.raft.Entry wire = reparse(ProtoCodec.toProto(e), raftkv.proto.raft.Entry::parseFrom);
            assertEquals(e, ProtoCodec.fromProto(wire));
        }
        assertEquals(EntryType.ENTRY_TYPE_NORMAL, ProtoCodec.toProto(Entry.normal(1, 1, BINARY)).getType());
        assertEquals(EntryType.ENTRY_TYPE_NOOP, ProtoCodec.toProto(Entry.noop(1, 1)).getType());
    }

    // ------------------------------------------------------------------ validation

    @Test
    void entryWithUnknownOrMissingTypeIsRefused() {
        var unknown = protoEntry(1, 1).setTypeValue(7).build();
        rejects("Entry.type: unknown entry type 7", () -> ProtoCodec.fromProto(unknown));
        var unspecified = protoEntry(1, 1).setType(EntryType.ENTRY_TYPE_UNSPECIFIED).build();
        rejects("Entry.type: missing", () -> ProtoCodec.fromProto(unspecified));
    }

    @Test
    void entryWithoutIndexOrTermIsRefused() {
        rejects("Entry.index: missing", () -> ProtoCodec.fromProto(protoEntry(0, 1).build()));
        rejects("Entry.term: missing", () -> ProtoCodec.fromProto(protoEntry(1, 0).build()));
        rejects("Entry.index: 18446744073709551615 is out of range", () -> ProtoCodec.fromProto(protoEntry(-1, 1).build()));
    }

    @Test
    void noopWithDataIsRefused() {
        var e = protoEntry(1, 1).setType(EntryType.ENTRY_TYPE_NOOP).setData(BINARY).build();
        rejects("Entry.data: 256 bytes in a no-op entry", () -> ProtoCodec.fromProto(e));
    }

    @Test
    void configEntryRoundTripsAndADamagedMembershipIsRefused() throws Exception {
        Entry config = Entry.config(3, 2, raftkv.raft.Membership.ofVoters(List.of(1L, 2L))
                .with(new raftkv.raft.Membership.Member(7, false, new raftkv.raft.Membership.Address("h", 8007, 9007))));
        raftkv.proto.raft.Entry wire = reparse(ProtoCodec.toProto(config), raftkv.proto.raft.Entry::parseFrom);
        assertEquals(EntryType.ENTRY_TYPE_CONFIG, wire.getType());
        assertEquals(config, ProtoCodec.fromProto(wire));
        var damaged = protoEntry(1, 1).setType(EntryType.ENTRY_TYPE_CONFIG).setData(BINARY).build();
        rejects("Entry.data: membership", () -> ProtoCodec.fromProto(damaged));
    }

    @Test
    void appendRequestEntriesAreCheckedInContext() {
        var unknownType = append(5, 2).addEntries(protoEntry(3, 2).setTypeValue(42)).build();
        rejects("AppendRequest.entries[0].type: unknown entry type 42", () -> ProtoCodec.fromProto(unknownType, SELF));
        var gap = append(5, 2).addEntries(protoEntry(3, 2)).addEntries(protoEntry(5, 2)).build();
        rejects("AppendRequest.entries[1].index: 5, expected 4", () -> ProtoCodec.fromProto(gap, SELF));
        var wrongStart = append(5, 2).addEntries(protoEntry(2, 2)).build();
        rejects("AppendRequest.entries[0].index: 2, expected 3", () -> ProtoCodec.fromProto(wrongStart, SELF));
        var futureTerm = append(5, 2).addEntries(protoEntry(3, 6)).build();
        rejects("AppendRequest.entries[0].term: 6 is outside [2, 5]", () -> ProtoCodec.fromProto(futureTerm, SELF));
        var decreasing = append(5, 2).addEntries(protoEntry(3, 4)).addEntries(protoEntry(4, 3)).build();
        rejects("AppendRequest.entries[1].term: 3 is outside [4, 5]", () -> ProtoCodec.fromProto(decreasing, SELF));
    }

    @Test
    void requestsWithoutTermAreRefused() {
        rejects("VoteRequest.term: missing", () -> ProtoCodec.fromProto(VoteRequest.newBuilder().setCandidateId(1).build(), SELF));
        rejects("AppendRequest.term: missing", () -> ProtoCodec.fromProto(AppendRequest.newBuilder().setLeaderId(1).build(), SELF));
        rejects("TimeoutNowRequest.term: missing", () -> ProtoCodec.fromProto(TimeoutNowRequest.newBuilder().setLeaderId(1).build(), SELF));
    }

    @Test
    void inconsistentRequestFieldsAreRefused() {
        rejects("AppendRequest.prev_log_term: 0 does not fit prev_log_index 4",
                () -> ProtoCodec.fromProto(append(5, 0).setPrevLogIndex(4).build(), SELF));
        rejects("AppendRequest.prev_log_term: 6 is above the leader's term 5",
                () -> ProtoCodec.fromProto(append(5, 6).build(), SELF));
        rejects("VoteRequest.last_log_term: 0 does not fit last_log_index 3",
                () -> ProtoCodec.fromProto(VoteRequest.newBuilder().setTerm(2).setLastLogIndex(3).build(), SELF));
        rejects("VoteRequest: pre_vote and leadership_transfer are never set together",
                () -> ProtoCodec.fromProto(VoteRequest.newBuilder().setTerm(2).setPreVote(true).setLeadershipTransfer(true).build(), SELF));
        rejects("VoteRequest.candidate_id: 9223372036854775808 is out of range",
                () -> ProtoCodec.fromProto(VoteRequest.newBuilder().setTerm(2).setCandidateId(Long.MIN_VALUE).build(), SELF));
    }

    @Test
    void inconsistentResponsesAreRefused() {
        rejects("AppendResponse: success with reject_hint_index 3",
                () -> ProtoCodec.fromProto(AppendResponse.newBuilder().setTerm(1).setSuccess(true).setRejectHintIndex(3).build(), PEER, SELF));
        rejects("AppendResponse.match_index: 4 on a rejection",
                () -> ProtoCodec.fromProto(AppendResponse.newBuilder().setTerm(1).setMatchIndex(4).build(), PEER, SELF));
        rejects("VoteResponse.term: 18446744073709551615 is out of range",
                () -> ProtoCodec.fromProto(VoteResponse.newBuilder().setTerm(-1).build(), PEER, SELF));
        rejects("TimeoutNowResponse.term: 18446744073709551615 is out of range",
                () -> ProtoCodec.fromProto(TimeoutNowResponse.newBuilder().setTerm(-1).build()));
    }

    // ------------------------------------------------------------------ helpers

    private interface Parser<P> {
        P parse(byte[] bytes) throws InvalidProtocolBufferException;
    }

    /** Through the wire format and back, so the test covers what a peer actually receives. */
    private static <P extends com.google.protobuf.Message> P reparse(P proto, Parser<P> parser) throws Exception {
        P back = parser.parse(proto.toByteArray());
        assertEquals(proto, back);
        return back;
    }

    private static raftkv.proto.raft.Entry.Builder protoEntry(long index, long term) {
        return raftkv.proto.raft.Entry.newBuilder().setIndex(index).setTerm(term)
                .setType(EntryType.ENTRY_TYPE_NORMAL).setData(ByteString.copyFromUtf8("x"));
    }

    /** An AppendRequest from PEER with prev_log_index 2 (so entries start at 3). */
    private static AppendRequest.Builder append(long term, long prevLogTerm) {
        return AppendRequest.newBuilder().setTerm(term).setLeaderId(PEER)
                .setPrevLogIndex(prevLogTerm == 0 ? 0 : 2).setPrevLogTerm(prevLogTerm);
    }

    // Issue 10: one AppendEntries with term 2^63 - 1 once left a whole cluster unable to elect a leader.
    // Every term on the wire is bounded by 2^62, requests and answers alike.
    @Test
    void termsAboveTheBoundAreRefused() {
        long over = RaftCore.MAX_TERM + 1;
        rejects("AppendRequest.term: 9223372036854775807 is above the bound of 2^62",
                () -> ProtoCodec.fromProto(AppendRequest.newBuilder().setTerm(Long.MAX_VALUE).setLeaderId(PEER).build(), SELF));
        rejects("AppendRequest.term: " + over + " is above",
                () -> ProtoCodec.fromProto(AppendRequest.newBuilder().setTerm(over).setLeaderId(PEER).build(), SELF));
        rejects("VoteRequest.term: " + over + " is above",
                () -> ProtoCodec.fromProto(VoteRequest.newBuilder().setTerm(over).setCandidateId(PEER).build(), SELF));
        rejects("TimeoutNowRequest.term: " + over + " is above",
                () -> ProtoCodec.fromProto(TimeoutNowRequest.newBuilder().setTerm(over).setLeaderId(PEER).build(), SELF));
        rejects("SnapshotHeader.term: " + over + " is above", () -> ProtoCodec.fromProto(SnapshotHeader.newBuilder()
                .setTerm(over).setLeaderId(PEER).setLastIncludedIndex(1).setLastIncludedTerm(1).build(), SELF));
        rejects("VoteResponse.term: " + over + " is above",
                () -> ProtoCodec.fromProto(VoteResponse.newBuilder().setTerm(over).build(), PEER, SELF));
        rejects("AppendResponse.term: " + over + " is above",
                () -> ProtoCodec.fromProto(AppendResponse.newBuilder().setTerm(over).build(), PEER, SELF));
        rejects("AppendResponse.reject_hint_term: " + over + " is above",
                () -> ProtoCodec.fromProto(AppendResponse.newBuilder().setTerm(2).setRejectHintTerm(over).build(), PEER, SELF));
        rejects("InstallSnapshotResponse.term: " + over + " is above",
                () -> ProtoCodec.fromProto(InstallSnapshotResponse.newBuilder().setTerm(over).build(), PEER, SELF));
        rejects("TimeoutNowResponse.term: " + over + " is above",
                () -> ProtoCodec.fromProto(TimeoutNowResponse.newBuilder().setTerm(over).build()));

        // The bound itself passes.
        assertEquals(RaftCore.MAX_TERM, ProtoCodec.fromProto(
                AppendRequest.newBuilder().setTerm(RaftCore.MAX_TERM).setLeaderId(PEER).build(), SELF).term());
    }

    @Test
    void aCandidateWhoseLastLogTermIsAboveItsTermIsRefused() {
        rejects("VoteRequest.last_log_term: 8 is above the candidate's term 7", () -> ProtoCodec.fromProto(
                VoteRequest.newBuilder().setTerm(7).setCandidateId(PEER).setLastLogIndex(3).setLastLogTerm(8).build(), SELF));
    }

    private static void rejects(String messageStart, Executable decode) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, decode);
        assertTrue(e.getMessage().startsWith(messageStart), () -> "message was: " + e.getMessage());
    }

    private static ByteString allBytes() {
        byte[] b = new byte[256];
        for (int i = 0; i < b.length; i++) b[i] = (byte) i;
        return ByteString.copyFrom(b);
    }
}
