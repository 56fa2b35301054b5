package raftkv.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static raftkv.gateway.Bytes.bs;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-key program order: writes exclusive, reads of a key together, different keys independent. */
class KeyLanesTest {
    final KeyLanes lanes = new KeyLanes();

    static PendingCommand get(String key) {
        return new PendingCommand(new TextCommand.Get(bs(key)), 0);
    }

    static PendingCommand set(String key) {
        return new PendingCommand(new TextCommand.Set(bs(key), 0, bs("v"), false), 0);
    }

    @Test
    void differentKeysStartAtOnce() {
        PendingCommand a = set("a");
        PendingCommand b = set("b");
        assertEquals(List.of(a), lanes.admit(a));
        assertEquals(List.of(b), lanes.admit(b));
        assertEquals(2, lanes.keys());
    }

    @Test
    void readAfterWriteWaitsForIt() {
        PendingCommand write = set("k");
        PendingCommand read = get("k");
        lanes.admit(write);
        assertEquals(List.of(), lanes.admit(read));
        assertEquals(List.of(read), lanes.finish(write));
        assertEquals(List.of(), lanes.finish(read));
        assertEquals(0, lanes.keys());
    }

    @Test
    void readsRunTogetherAndAWriteWaitsForAllOfThem() {
        PendingCommand r1 = get("k");
        PendingCommand r2 = get("k");
        PendingCommand w = set("k");
        PendingCommand r3 = get("k");
        assertEquals(List.of(r1), lanes.admit(r1));
        assertEquals(List.of(r2), lanes.admit(r2));
        assertEquals(List.of(), lanes.admit(w));
        assertEquals(List.of(), lanes.admit(r3));
        assertEquals(List.of(), lanes.finish(r2)); // out of order: r1 still reads
        assertEquals(List.of(w), lanes.finish(r1));
        assertEquals(List.of(r3), lanes.finish(w));
    }

    @Test
    void writesOfOneKeyRunOneAtATimeAndReadsBehindThemTogether() {
        PendingCommand w1 = set("k");
        PendingCommand w2 = set("k");
        PendingCommand r1 = get("k");
        PendingCommand r2 = get("k");
        lanes.admit(w1);
        lanes.admit(w2);
        lanes.admit(r1);
        lanes.admit(r2);
        assertEquals(List.of(w2), lanes.finish(w1));
        assertEquals(List.of(r1, r2), lanes.finish(w2));
    }

    @Test
    void finishingAnUnknownCommandIsABug() {
        assertThrows(IllegalStateException.class, () -> lanes.finish(get("x")));
    }
}
