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
import raftkv.kv.ApplyResult;
import raftkv.kv.Command;
import raftkv.kv.CommandCodec;
import raftkv.kv.KvStateMachine;
import raftkv.kv.RequestId;
import raftkv.raft.Entry;

/** Applying committed sets of 100-byte values over 10,000 keys, each from its own client (request ids). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ApplyBench {
    private static final int KEYS = 10_000;
    private final ByteString[] data = new ByteString[KEYS];
    private KvStateMachine machine;
    private long index;

    @Setup
    public void setup() {
        machine = new KvStateMachine();
        for (int k = 0; k < KEYS; k++) {
            Command set = new Command.Set(ByteString.copyFromUtf8("bench-" + k), ByteString.copyFrom(new byte[100]), 0,
                    new RequestId(k + 1, 1));
            data[k] = CommandCodec.encode(set, 1_700_000_000_000L);
        }
    }

    @Benchmark
    public ApplyResult applySet() {
        index++;
        return machine.apply(Entry.normal(index, 1, data[(int) (index % KEYS)]));
    }
}
