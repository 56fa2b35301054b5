package raftkv.bench;

import com.google.protobuf.ByteString;
import java.util.Comparator;
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
import raftkv.kv.Keys;

/**
 * The key order the state machine's map compares with on every apply and read (about log2(keys)
 * comparisons each): raftkv's {@link Keys#ORDER} against protobuf's own unsigned comparator, on
 * keys shaped like the benchmark's ({@code bench-N}), which share a prefix.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KeyOrderBench {
    private static final int KEYS = 1024;
    private static final Comparator<ByteString> PROTOBUF = ByteString.unsignedLexicographicalComparator();
    private final ByteString[] keys = new ByteString[KEYS];
    private int i;

    @Setup
    public void setup() {
        for (int k = 0; k < KEYS; k++) keys[k] = ByteString.copyFromUtf8("bench-" + (k * 7919 % 10_000));
    }

    @Benchmark
    public int keysOrder() {
        i = (i + 1) & (KEYS - 1);
        return Keys.ORDER.compare(keys[i], keys[(i * 31 + 7) & (KEYS - 1)]);
    }

    @Benchmark
    public int protobufOrder() {
        i = (i + 1) & (KEYS - 1);
        return PROTOBUF.compare(keys[i], keys[(i * 31 + 7) & (KEYS - 1)]);
    }
}
