package raftkv.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.RequestId;
import raftkv.raft.Entry;
import raftkv.raft.Message;
import raftkv.proto.raft.AppendRequest;
import raftkv.transport.ProtoCodec;

/** AppendEntries on the peer link: a batch of 100-byte sets, to bytes (leader) and back (follower). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PeerCodecBench {
    @Param({"1", "16"})
    int entries;

    private Message.AppendRequest message;
    private byte[] wire;

    @Setup
    public void setup() {
        List<Entry> batch = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            Command set = new Command.Set(ByteString.copyFromUtf8("bench-" + i), ByteString.copyFrom(new byte[100]), 0,
                    new RequestId(7, i + 1));
            batch.add(Entry.normal(1001 + i, 3, CommandCodec.encode(set, 1_700_000_000_000L)));
        }
        message = new Message.AppendRequest(1, 2, 3, 1000, 3, batch, 1000, 0);
        wire = ProtoCodec.toProto(message).toByteArray();
    }

    @Benchmark
    public byte[] encode() {
        return ProtoCodec.toProto(message).toByteArray();
    }

    @Benchmark
    public Message.AppendRequest decode() throws InvalidProtocolBufferException {
        return ProtoCodec.fromProto(AppendRequest.parseFrom(wire), 2);
    }
}
