package raftkv.bench;

import com.google.protobuf.ByteString;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.RequestId;

/** A set of a 100-byte value, as the leader encodes it into an entry and every node decodes it to apply. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CommandCodecBench {
    private Command set;
    private ByteString encoded;

    @Setup
    public void setup() {
        set = new Command.Set(ByteString.copyFromUtf8("bench-42"), ByteString.copyFrom(new byte[100]), 0, new RequestId(7, 9));
        encoded = CommandCodec.encode(set, 1_700_000_000_000L);
    }

    @Benchmark
    public ByteString encode() {
        return CommandCodec.encode(set, 1_700_000_000_000L);
    }

    @Benchmark
    public CommandCodec.Decoded decode() {
        return CommandCodec.decode(encoded);
    }
}
