package raftkv.bench;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import raftkv.raft.Entry;
import raftkv.wal.Wal;

/**
 * Appending a batch of 16 entries of ~130 bytes to the write-ahead log, as one Ready does, and
 * making it durable: without fsync (the CPU cost of framing, CRC and writing) and with it (the disk).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WalAppendBench {
    @Param({"false", "true"})
    boolean fsync;

    private Path dir;
    private Wal wal;
    private long next = 1;
    private final ByteString data = ByteString.copyFrom(new byte[130]);

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("raftkv-walbench");
        wal = Wal.open(dir, fsync, 64L << 20);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        wal.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Benchmark
    public void appendAndSync() {
        List<Entry> batch = new ArrayList<>(16);
        for (int i = 0; i < 16; i++) batch.add(Entry.normal(next++, 1, data));
        wal.append(batch);
        wal.sync();
        // Keep the disk use bounded, as snapshots do in a node: once a 64 MiB segment is full, drop it.
        if ((next & 0xFFFF) == 1) wal.compact(next - 1);
    }
}
