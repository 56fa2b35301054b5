package raftkv.kv;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import raftkv.raft.Entry;

/**
 * Test helper: a seeded random log that exercises every rule at once: sets, cases that match or
 * not, deletes, ticks and no-ops; ttls that expire within the run; leaders whose clocks are
 * behind; clients that retry, move on, go stale, and fall silent for over an hour.
 */
final class RandomLog {
    private RandomLog() {}

    static List<Entry> generate(long seed, int length) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Entry> log = new ArrayList<>();
        long[] sequence = new long[9]; // per client 1..8; 0 = none yet
        long term = 1;
        long clock = 1_700_000_000_000L;
        for (long index = 1; index <= length; index++) {
            if (random.nextInt(100) == 0) {
                term++;
                log.add(Entry.noop(index, term));
                continue;
            }
            // Time mostly moves forward; sometimes a new leader's clock is behind, sometimes an hour passes.
            int jump = random.nextInt(100);
            clock += jump < 5 ? -random.nextInt(30_000) : jump < 7 ? Sessions.EXPIRY_MS : random.nextInt(2_000);
            long stamp = Math.max(0, clock);
            log.add(Entry.normal(index, term, CommandCodec.encode(command(random, sequence, index), stamp)));
        }
        return log;
    }

    private static Command command(SplittableRandom random, long[] sequence, long index) {
        ByteString key = ByteString.copyFromUtf8("key-" + random.nextInt(40));
        byte[] bytes = new byte[random.nextInt(20)];
        random.nextBytes(bytes);
        ByteString value = ByteString.copyFrom(bytes);
        long ttl = random.nextInt(3) == 0 ? 1 + random.nextInt(20) : 0;
        RequestId id = requestId(random, sequence);
        return switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> new Command.Set(key, value, ttl, id);
            case 4, 5 -> new Command.Cas(key, 1 + random.nextLong(index), value, ttl, id);
            case 6, 7 -> new Command.Delete(key, id);
            default -> new Command.Tick();
        };
    }

    private static RequestId requestId(SplittableRandom random, long[] sequence) {
        int client = random.nextInt(sequence.length);
        if (client == 0) {
            return RequestId.NONE;
        }
        int kind = random.nextInt(10);
        if (kind == 0 && sequence[client] > 1) {
            return new RequestId(client, 1 + random.nextLong(sequence[client] - 1)); // stale
        }
        if (kind <= 2 && sequence[client] > 0) {
            return new RequestId(client, sequence[client]); // retry
        }
        sequence[client] += 1 + random.nextInt(2);
        return new RequestId(client, sequence[client]);
    }
}
