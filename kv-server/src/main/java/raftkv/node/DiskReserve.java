package raftkv.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node from filling its disk (SPEC 11): while the free space under its data folder is
 * below the reserve, sets and cas are refused with ERR_NO_SPACE / RESOURCE_EXHAUSTED, as for the
 * quota, and deletes and reads go on; once space is back, writes are taken again. The reserve is
 * what the node may still have to write without any client adding data: the rest of the log before
 * its next snapshot starts (by the snapshot's byte trigger), that snapshot (about the live data),
 * and a fixed margin ({@code diskReserveBytes}). Without it a full disk halts every replica at about
 * the same time, since they all fill at the same pace.
 *
 * <p>The probe costs a system call, so its answer is kept for {@link #PROBE_INTERVAL_NANOS}; the
 * writes taken meanwhile are subtracted from it, so a burst cannot overshoot the reserve. Used by
 * the node thread only.
 */
public final class DiskReserve {
    private static final Logger log = LoggerFactory.getLogger(DiskReserve.class);

    /** How long a probe's answer is trusted. */
    static final long PROBE_INTERVAL_NANOS = 100_000_000L;

    /** The free space available to this process under a folder, in bytes. */
    @FunctionalInterface
    public interface FreeSpace {
        long usableBytes();

        /** The file store that holds {@code folder}, asked each time. */
        static FreeSpace of(Path folder) {
            return () -> {
                try {
                    return Files.getFileStore(folder).getUsableSpace();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the free space under " + folder, e);
                }
            };
        }
    }

    private final FreeSpace probe;
    private final long marginBytes;
    private final Clock clock;
    private boolean probed;
    private long probedAtNanos;
    private long probedBytes;
    // Bytes of writes taken since the last probe: the probe does not see them yet.
    private long takenSinceProbe;
    private boolean refusing;

    /** @param marginBytes the fixed part of the reserve (config {@code diskReserveBytes}) */
    public DiskReserve(FreeSpace probe, long marginBytes, Clock clock) {
        this.probe = probe;
        this.marginBytes = marginBytes;
        this.clock = clock;
    }

    /** No reserve: never refuses (tests, the simulator). */
    public static DiskReserve none() {
        return new DiskReserve(() -> Long.MAX_VALUE, 0, Clock.SYSTEM);
    }

    /** The reserve while the live data is {@code storeBytes} and {@code logBytes} of log may come before the next snapshot. */
    public long reserveBytes(long storeBytes, long logBytes) {
        return marginBytes + storeBytes + logBytes;
    }

    /**
     * Whether a write of {@code writeBytes} that adds data may be taken now; if so it counts
     * against the free space until the next probe. Says so in the log when the answer changes.
     */
    public boolean take(long writeBytes, long storeBytes, long logBytes) {
        long now = clock.nanos();
        if (!probed || now - probedAtNanos >= PROBE_INTERVAL_NANOS) {
            probedBytes = probe.usableBytes();
            probedAtNanos = now;
            probed = true;
            takenSinceProbe = 0;
        }
        long usable = probedBytes - takenSinceProbe;
        long reserve = reserveBytes(storeBytes, logBytes);
        boolean refuse = usable - writeBytes < reserve;
        if (refuse != refusing) {
            refusing = refuse;
            if (refuse) {
                log.warn("{} bytes free on the data disk, near the reserve of {}: sets and cas are refused with "
                        + "ERR_NO_SPACE / RESOURCE_EXHAUSTED until space is freed; reads and deletes go on", usable, reserve);
            } else {
                log.info("{} bytes free on the data disk, above the reserve of {}: sets and cas are taken again", usable,
                        reserve);
            }
        }
        if (!refuse) takenSinceProbe += writeBytes;
        return !refuse;
    }
}
