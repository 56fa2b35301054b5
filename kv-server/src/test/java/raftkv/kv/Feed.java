package raftkv.kv;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import raftkv.raft.Entry;

/**
 * Test helper: builds log entries at the next index of a machine, applies them and keeps them,
 * so that other machines can be fed the same log.
 */
final class Feed {
    final KvStateMachine machine;
    final List<Entry> log = new ArrayList<>();
    long term = 1;

    Feed() {
        this(new KvStateMachine());
    }

    Feed(KvStateMachine machine) {
        this.machine = machine;
    }

    static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }

    ApplyResult apply(Entry e) {
        log.add(e);
        return machine.apply(e);
    }

    ApplyResult command(Command c, long timestampMs) {
        return apply(Entry.normal(machine.appliedIndex() + 1, term, CommandCodec.encode(c, timestampMs)));
    }

    ApplyResult set(String key, String value, long ttlSeconds, long ts) {
        return set(key, value, ttlSeconds, ts, RequestId.NONE);
    }

    ApplyResult set(String key, String value, long ttlSeconds, long ts, RequestId id) {
        return command(new Command.Set(b(key), b(value), ttlSeconds, id), ts);
    }

    ApplyResult cas(String key, long expected, String value, long ttlSeconds, long ts) {
        return cas(key, expected, value, ttlSeconds, ts, RequestId.NONE);
    }

    ApplyResult cas(String key, long expected, String value, long ttlSeconds, long ts, RequestId id) {
        return command(new Command.Cas(b(key), expected, b(value), ttlSeconds, id), ts);
    }

    ApplyResult delete(String key, long ts) {
        return delete(key, ts, RequestId.NONE);
    }

    ApplyResult delete(String key, long ts, RequestId id) {
        return command(new Command.Delete(b(key), id), ts);
    }

    ApplyResult tick(long ts) {
        return command(new Command.Tick(), ts);
    }

    ApplyResult noop() {
        return apply(Entry.noop(machine.appliedIndex() + 1, term));
    }

    Optional<Stored> get(String key, long nowMs) {
        return machine.get(b(key), nowMs);
    }

    /** The value of a live key as a string, or null. */
    String value(String key, long nowMs) {
        return get(key, nowMs).map(s -> s.value().toStringUtf8()).orElse(null);
    }

    static byte[] snapshot(KvStateMachine machine) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            machine.writeSnapshot(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static KvStateMachine restore(byte[] snapshot) throws IOException {
        return KvStateMachine.readSnapshot(new ByteArrayInputStream(snapshot));
    }
}
