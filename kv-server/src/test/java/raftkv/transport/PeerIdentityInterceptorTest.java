package raftkv.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.PeerMessage;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.VoteRequest;

/** The sender each raft.proto request names, which must match the caller's certificate under TLS. */
class PeerIdentityInterceptorTest {

    @Test
    void eachRequestNamesItsSender() {
        assertEquals(OptionalLong.of(3), PeerIdentityInterceptor.sender(VoteRequest.newBuilder().setCandidateId(3).build()));
        assertEquals(OptionalLong.of(4), PeerIdentityInterceptor.sender(AppendRequest.newBuilder().setLeaderId(4).build()));
        assertEquals(OptionalLong.of(5), PeerIdentityInterceptor.sender(TimeoutNowRequest.newBuilder().setLeaderId(5).build()));
        assertEquals(OptionalLong.of(7), PeerIdentityInterceptor.sender(
                raftkv.proto.raft.ReadIndexRequest.newBuilder().setFollowerId(7).build()));
        assertEquals(OptionalLong.of(8), PeerIdentityInterceptor.sender(
                raftkv.proto.raft.ReadIndexResponse.newBuilder().setLeaderId(8).build()));
        assertEquals(OptionalLong.of(6), PeerIdentityInterceptor.sender(SnapshotChunk.newBuilder()
                .setHeader(SnapshotHeader.newBuilder().setLeaderId(6)).build()));
        // Later chunks of a stream carry no header; the stream's first chunk was checked.
        assertEquals(OptionalLong.empty(), PeerIdentityInterceptor.sender(SnapshotChunk.newBuilder().setOffset(9).build()));
        // An Exchange stream's message: the sender of its body; an answer, or no body, comes from nobody who may send it.
        assertEquals(OptionalLong.of(5), PeerIdentityInterceptor.sender(PeerMessage.newBuilder()
                .setReadIndex(raftkv.proto.raft.ReadIndexRequest.newBuilder().setFollowerId(5)).build()));
        assertEquals(OptionalLong.of(4), PeerIdentityInterceptor.sender(PeerMessage.newBuilder()
                .setVoteRequest(raftkv.proto.raft.VoteRequest.newBuilder().setCandidateId(4)).build()));
        assertEquals(OptionalLong.empty(), PeerIdentityInterceptor.sender(PeerMessage.newBuilder()
                .setAppendResponse(raftkv.proto.raft.AppendResponse.getDefaultInstance()).build()));
        assertEquals(OptionalLong.empty(), PeerIdentityInterceptor.sender(PeerMessage.getDefaultInstance()));
    }

    /** An RPC added to raft.proto is refused under TLS until this interceptor knows its sender field. */
    @Test
    void everyRpcOfRaftProtoHasAKnownSender() {
        for (var method : RaftPeerGrpc.getServiceDescriptor().getMethods()) {
            MethodDescriptor.Marshaller<?> marshaller = method.getRequestMarshaller();
            Message prototype = (Message) ((MethodDescriptor.PrototypeMarshaller<?>) marshaller).getMessagePrototype();
            Message withHeader = prototype instanceof SnapshotChunk
                    ? SnapshotChunk.newBuilder().setHeader(SnapshotHeader.getDefaultInstance()).build()
                    : prototype instanceof PeerMessage
                    ? PeerMessage.newBuilder().setAppendRequest(raftkv.proto.raft.AppendRequest.getDefaultInstance()).build()
                    : prototype;
            assertTrue(PeerIdentityInterceptor.sender(withHeader).isPresent(), method.getFullMethodName()
                    + " has no sender in PeerIdentityInterceptor.sender");
        }
    }
}
