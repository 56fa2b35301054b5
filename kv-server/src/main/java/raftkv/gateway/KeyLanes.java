package raftkv.gateway;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps one connection's pipelined commands in program order per key, while commands on different
 * keys run concurrently. Without it, {@code set k} followed by a pipelined {@code get k} could be
 * served by a read that overtook the write, and two pipelined writes of one key could land in
 * either order; a memcached user expects neither.
 *
 * <p>Rule: a write starts once every earlier command on its key has finished; a read starts once
 * every earlier command on its key that is a write has finished (reads of a key run together).
 * Single-threaded, like the connection that owns it.
 */
final class KeyLanes {
    // Per key, its unfinished commands in arrival order. Invariant: the released ones are a prefix.
    private final Map<ByteString, ArrayDeque<PendingCommand>> lanes = new HashMap<>();

    /**
     * Queues {@code command} behind the earlier ones on its key; returns it if it may start now.
     * A returned command is released: for ordering it counts as running until {@link #finish}.
     */
    List<PendingCommand> admit(PendingCommand command) {
        ArrayDeque<PendingCommand> lane = lanes.computeIfAbsent(key(command), k -> new ArrayDeque<>());
        lane.addLast(command);
        return startable(lane);
    }

    /** {@code command} has finished; returns the commands on its key that may start now, in order. */
    List<PendingCommand> finish(PendingCommand command) {
        ByteString key = key(command);
        ArrayDeque<PendingCommand> lane = lanes.get(key);
        if (lane == null || !lane.remove(command)) {
            throw new IllegalStateException("finished command was not admitted");
        }
        if (lane.isEmpty()) {
            lanes.remove(key);
            return List.of();
        }
        return startable(lane);
    }

    /** Keys with unfinished commands. */
    int keys() {
        return lanes.size();
    }

    /** Marks as released, and returns, the commands at the front of the lane that may now run. */
    private static List<PendingCommand> startable(ArrayDeque<PendingCommand> lane) {
        List<PendingCommand> ready = null;
        boolean anyEarlier = false;
        boolean earlierWrite = false;
        for (PendingCommand c : lane) {
            boolean write = ((TextCommand) c.decoded).isWrite();
            if (!c.released) {
                if (write ? anyEarlier : earlierWrite) {
                    break;
                }
                c.released = true;
                if (ready == null) {
                    ready = new java.util.ArrayList<>(2);
                }
                ready.add(c);
            }
            anyEarlier = true;
            earlierWrite |= write;
        }
        return ready == null ? List.of() : ready;
    }

    private static ByteString key(PendingCommand command) {
        return ((TextCommand) command.decoded).key();
    }
}
