package raftkv.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.proto.kv.CasRequest;
import raftkv.proto.kv.CasResponse;
import raftkv.proto.kv.DeleteRequest;
import raftkv.proto.kv.DeleteResponse;
import raftkv.proto.kv.GetMetaRequest;
import raftkv.proto.kv.GetMetaResponse;
import raftkv.proto.kv.GetRequest;
import raftkv.proto.kv.GetResponse;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.KvProto;
import raftkv.proto.kv.MoveLeaderRequest;
import raftkv.proto.kv.MoveLeaderResponse;
import raftkv.proto.kv.SaveSnapshotRequest;
import raftkv.proto.kv.SnapshotData;
import raftkv.proto.kv.RequestId;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.SetRequest;
import raftkv.proto.kv.SetResponse;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.proto.raft.AppendRequest;
import raftkv.proto.raft.AppendResponse;
import raftkv.proto.raft.Entry;
import raftkv.proto.raft.EntryType;
import raftkv.proto.raft.InstallSnapshotResponse;
import raftkv.proto.raft.RaftPeerGrpc;
import raftkv.proto.raft.RaftProto;
import raftkv.proto.raft.SnapshotChunk;
import raftkv.proto.raft.SnapshotHeader;
import raftkv.proto.raft.PeerMessage;
import raftkv.proto.raft.ReadIndexAck;
import raftkv.proto.raft.ReadIndexRequest;
import raftkv.proto.raft.ReadIndexResponse;
import raftkv.proto.raft.TimeoutNowRequest;
import raftkv.proto.raft.TimeoutNowResponse;
import raftkv.proto.raft.VoteRequest;
import raftkv.proto.raft.VoteResponse;

/**
 * One sample of every message in kv.proto and raft.proto survives serialization unchanged. Each
 * sample sets every field to a value other than its default (otherwise proto3 would not encode
 * it and the round trip would prove nothing), and the samples cover every message type, so a
 * field or message added later without a sample here fails the build.
 */
class MessageRoundTripTest {

  // Bytes that trip up text-minded code: CR LF, NUL, a high byte.
  private static final ByteString AWKWARD =
      ByteString.copyFrom(new byte[] {'v', '\r', '\n', 0, (byte) 0xff});
  // The largest uint64, which Java sees as -1: checks that no field is a signed or 32-bit type.
  private static final long MAX_UINT64 = -1L;

  private static final RequestId REQUEST_ID =
      RequestId.newBuilder().setClientId(MAX_UINT64).setSequence(7).build();
  // A fixed64 with the top bit set, as half of all SHA-256-derived cluster ids have.
  private static final long CLUSTER_ID = 0x8badf00ddeadbeefL;
  private static final raftkv.proto.kv.Member MEMBER = raftkv.proto.kv.Member.newBuilder().setId(5).setVoter(true)
      .setClientAddress("127.0.0.6:8005").setPeerAddress("127.0.0.6:9005").setMatchIndex(120).setMatchKnown(true).build();
  private static final Entry ENTRY = Entry.newBuilder()
      .setIndex(12).setTerm(3).setType(EntryType.ENTRY_TYPE_NORMAL).setData(AWKWARD).build();
  private static final SnapshotHeader SNAPSHOT_HEADER = SnapshotHeader.newBuilder().setClusterId(CLUSTER_ID)
      .setTerm(4).setLeaderId(0xFFFF_FFFF_FFFFL).setLastIncludedIndex(100_000)
      .setLastIncludedTerm(3).addVoters(0).addVoters(1).addVoters(2).setTotalSize(5L << 32)
      .build();

  // Every field is set, even where the protocol would leave some at 0 (the reject hints of a
  // successful AppendResponse, say), so that each one is encoded and decoded.
  static Stream<Message> samples() {
    ByteString key = ByteString.copyFromUtf8("user:42/é");
    return Stream.of(
        // kv.proto
        REQUEST_ID,
        SetRequest.newBuilder().setKey(key).setValue(AWKWARD).setTtlSeconds(300)
            .setRequestId(REQUEST_ID).build(),
        SetResponse.newBuilder().setVersion(MAX_UINT64).build(),
        GetRequest.newBuilder().setKey(key).build(),
        GetResponse.newBuilder().setValue(AWKWARD).setVersion(5).build(),
        GetMetaRequest.newBuilder().setKey(key).build(),
        GetMetaResponse.newBuilder().setVersion(5).setTtlSeconds(299)
            .setValueSize(AWKWARD.size()).setValue(AWKWARD).build(),
        CasRequest.newBuilder().setKey(key).setExpectedVersion(5).setValue(AWKWARD)
            .setTtlSeconds(4_294_967_295L).setRequestId(REQUEST_ID).build(),
        CasResponse.newBuilder().setVersion(9).build(),
        DeleteRequest.newBuilder().setKey(key).setRequestId(REQUEST_ID).build(),
        DeleteResponse.getDefaultInstance(),
        StatusRequest.getDefaultInstance(),
        StatusResponse.newBuilder().setNodeId(3).setClientAddress("127.0.0.4:8003")
            .setPeerAddress("127.0.0.4:9003").setRole(Role.ROLE_FOLLOWER).setTerm(4)
            .setCommitIndex(120).setAppliedIndex(119).setLastLogIndex(121).setLeaderId(1)
            .setLeaderKnown(true).setLeaderAddress("127.0.0.2:9001").setLearner(true).setNotMember(true)
            .setVersion("0.1.0 (commit 0123456789)").setSnapshotIndex(100).setDataBytes(65536).build(),
        MoveLeaderRequest.newBuilder().setTargetId(2).build(),
        MoveLeaderResponse.newBuilder().setTerm(5).build(),
        SaveSnapshotRequest.getDefaultInstance(),
        SnapshotData.newBuilder().setData(ByteString.copyFrom(new byte[] {0, 1, 2, (byte) 0xff})).build(),
        raftkv.proto.kv.MemberListRequest.getDefaultInstance(),
        raftkv.proto.kv.MemberListResponse.newBuilder().addMembers(MEMBER).setLeaderId(1).setLeaderKnown(true)
            .setNodeId(1).setMembershipIndex(40).setLastLogIndex(121).build(),
        MEMBER,
        raftkv.proto.kv.MemberChangeRequest.newBuilder()
            .setKind(raftkv.proto.kv.MemberChangeKind.MEMBER_CHANGE_KIND_ADD_LEARNER).setNodeId(5)
            .setHost("127.0.0.6").setClientPort(8005).setLogPort(9005).build(),
        raftkv.proto.kv.MemberChangeResponse.newBuilder().setIndex(122).addMembers(MEMBER).build(),
        // raft.proto
        VoteRequest.newBuilder().setClusterId(CLUSTER_ID).setTerm(5).setCandidateId(2).setLastLogIndex(121)
            .setLastLogTerm(4).setPreVote(true).setLeadershipTransfer(true).build(),
        VoteResponse.newBuilder().setClusterId(CLUSTER_ID).setTerm(5).setVoteGranted(true).setPreVote(true).build(),
        ENTRY,
        AppendRequest.newBuilder().setClusterId(CLUSTER_ID).setTerm(4).setLeaderId(1).setPrevLogIndex(11)
            .setPrevLogTerm(3).addEntries(ENTRY)
            .addEntries(Entry.newBuilder().setIndex(13).setTerm(4)
                .setType(EntryType.ENTRY_TYPE_NOOP))
            .setLeaderCommit(11).setReadSeq(MAX_UINT64).build(),
        AppendResponse.newBuilder().setClusterId(CLUSTER_ID).setTerm(4).setSuccess(true).setMatchIndex(13)
            .setRejectHintIndex(8).setRejectHintTerm(2).setReadSeq(17).setRejectedIndex(12).build(),
        SNAPSHOT_HEADER,
        SnapshotChunk.newBuilder().setHeader(SNAPSHOT_HEADER).setOffset(1 << 20)
            .setData(AWKWARD).setDone(true).setCrc32C(0xE306_9283).build(),
        InstallSnapshotResponse.newBuilder().setClusterId(CLUSTER_ID).setTerm(4).setSuccess(true)
            .setNextOffset(5L << 32).setMatchIndex(100_000).build(),
        TimeoutNowRequest.newBuilder().setClusterId(CLUSTER_ID).setTerm(4).setLeaderId(1).build(),
        TimeoutNowResponse.newBuilder().setClusterId(CLUSTER_ID).setTerm(4).build(),
        ReadIndexRequest.newBuilder().setClusterId(CLUSTER_ID).setTerm(4).setFollowerId(2)
            .setContext(MAX_UINT64).build(),
        ReadIndexResponse.newBuilder().setClusterId(CLUSTER_ID).setTerm(4).setLeaderId(1)
            .setContext(MAX_UINT64).setGranted(true).setReadIndex(121).build(),
        ReadIndexAck.newBuilder().setClusterId(CLUSTER_ID).setTerm(4).build(),
        PeerMessage.newBuilder().setAppendRequest(AppendRequest.newBuilder().setClusterId(CLUSTER_ID)
            .setTerm(3).setLeaderId(1).setPrevLogIndex(4).setPrevLogTerm(2).setLeaderCommit(4)).build(),
        PeerMessage.newBuilder().setVoteResponse(VoteResponse.newBuilder().setClusterId(CLUSTER_ID)
            .setTerm(5).setVoteGranted(true)).build(),
        PeerMessage.newBuilder().setReadIndexReply(ReadIndexResponse.newBuilder().setClusterId(CLUSTER_ID)
            .setTerm(4).setLeaderId(2).setContext(-9).setGranted(true).setReadIndex(12)).build());
  }

  static Stream<Arguments> namedSamples() {
    return samples().map(m -> Arguments.of(Named.of(m.getDescriptorForType().getName(), m)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("namedSamples")
  void survivesSerialization(Message sample) throws InvalidProtocolBufferException {
    byte[] wire = sample.toByteArray();
    Message parsed = sample.getParserForType().parseFrom(wire);
    assertEquals(sample, parsed);
    assertEquals(sample.getSerializedSize(), wire.length);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("namedSamples")
  void sampleSetsEveryField(Message sample) {
    Descriptor type = sample.getDescriptorForType();
    List<String> unset = new ArrayList<>();
    for (FieldDescriptor field : type.getFields()) {
      // A oneof holds one of its fields: the sample sets one (other samples the others).
      boolean set = field.isRepeated() ? sample.getRepeatedFieldCount(field) > 0
          : field.getRealContainingOneof() != null ? sample.hasOneof(field.getRealContainingOneof())
          : sample.hasField(field);
      if (!set) {
        unset.add(field.getName());
      }
    }
    assertEquals(List.of(), unset, type.getFullName() + " sample leaves fields at their default");
  }

  @Test
  void samplesCoverEveryMessageType() {
    Set<String> all = new TreeSet<>();
    for (FileDescriptor file : List.of(KvProto.getDescriptor(), RaftProto.getDescriptor())) {
      file.getMessageTypes().forEach(m -> addWithNested(m, all));
    }
    Set<String> sampled = samples().map(m -> m.getDescriptorForType().getFullName())
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(all, sampled);
  }

  @Test
  void unknownEnumNumbersSurviveForOlderClients() throws InvalidProtocolBufferException {
    // kv.proto tells clients to show a Role number they do not know as unknown; proto3 keeps it.
    StatusResponse fromNewerServer = StatusResponse.newBuilder().setRoleValue(99).build();
    StatusResponse parsed = StatusResponse.parseFrom(fromNewerServer.toByteArray());
    assertEquals(Role.UNRECOGNIZED, parsed.getRole());
    assertEquals(99, parsed.getRoleValue());
  }

  @Test
  void servicesHaveTheDocumentedRpcs() {
    assertEquals(Map.of(
            "Set", MethodType.UNARY, "Get", MethodType.UNARY, "GetMeta", MethodType.UNARY,
            "Cas", MethodType.UNARY, "Delete", MethodType.UNARY, "Status", MethodType.UNARY,
            "MoveLeader", MethodType.UNARY, "SaveSnapshot", MethodType.SERVER_STREAMING,
            "MemberList", MethodType.UNARY, "MemberChange", MethodType.UNARY),
        methodTypes(KeyValueGrpc.getServiceDescriptor()));
    assertEquals(Map.of(
            "RequestVote", MethodType.UNARY, "AppendEntries", MethodType.UNARY,
            "InstallSnapshot", MethodType.CLIENT_STREAMING, "TimeoutNow", MethodType.UNARY,
            "ReadIndex", MethodType.UNARY, "ReadIndexReply", MethodType.UNARY,
            "Exchange", MethodType.BIDI_STREAMING),
        methodTypes(RaftPeerGrpc.getServiceDescriptor()));
    assertEquals("raftkv.kv.v1.KeyValue", KeyValueGrpc.SERVICE_NAME);
    assertEquals("raftkv.raft.v1.RaftPeer", RaftPeerGrpc.SERVICE_NAME);
  }

  private static Map<String, MethodType> methodTypes(io.grpc.ServiceDescriptor service) {
    Map<String, MethodType> types = new TreeMap<>();
    service.getMethods().forEach(m -> types.put(m.getBareMethodName(), m.getType()));
    return types;
  }

  private static void addWithNested(Descriptor message, Set<String> into) {
    if (!message.getOptions().getMapEntry()) {
      into.add(message.getFullName());
    }
    message.getNestedTypes().forEach(m -> addWithNested(m, into));
  }
}
