package raftkv.sim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A simulated network: every message gets a random delay (so messages reorder), may be lost
 * or duplicated, and is dropped while a partition separates sender and receiver. Delivery is
 * ordered by (time, sequence number), so equal times replay identically.
 */
final class SimNetwork {
    /**
     * What travels from {@code from} to {@code to}: a Raft message, a snapshot transfer, or a
     * client command a node forwards to the leader and its answer.
     */
    record Packet(long from, long to, Object payload) {}

    record InFlight(long deliverAt, long seq, Packet packet) {}

    private final SplittableRandom random;
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>((a, b) ->
            a.deliverAt != b.deliverAt ? Long.compare(a.deliverAt, b.deliverAt) : Long.compare(a.seq, b.seq));
    // Directed links that drop everything: "from->to".
    private final Set<Long> blocked = new HashSet<>();
    // Nodes cut off from everyone, apart from the partitions above (which heal at random).
    private final Set<Long> isolated = new HashSet<>();
    private long nextSeq;

    // Fault rates; the runner changes them between the safety and liveness phases.
    double lossRate;
    double duplicateRate;
    int minDelay = 1;
    int maxDelay = 10;

    long sent;
    long delivered;
    long dropped;

    SimNetwork(SplittableRandom random) {
        this.random = random;
    }

    void send(long now, Packet p) {
        send(now, p, true);
    }

    /**
     * Sends {@code p}; {@code mayDuplicate} false for what travels over one connection (a
     * forwarded client command and its answer), which may be lost with the connection but never
     * arrives twice.
     */
    void send(long now, Packet p, boolean mayDuplicate) {
        sent++;
        if (random.nextDouble() < lossRate) {
            dropped++;
            return;
        }
        enqueue(now, p);
        if (mayDuplicate && random.nextDouble() < duplicateRate) enqueue(now, p);
    }

    private void enqueue(long now, Packet p) {
        long delay = minDelay + random.nextInt(maxDelay - minDelay + 1);
        queue.add(new InFlight(now + delay, nextSeq++, p));
    }

    /** Packets due at or before {@code now}, in delivery order, minus those a partition drops. */
    List<Packet> due(long now) {
        List<Packet> out = new ArrayList<>();
        while (!queue.isEmpty() && queue.peek().deliverAt <= now) {
            Packet p = queue.poll().packet;
            if (blocked.contains(link(p.from(), p.to())) || isolated.contains(p.from()) || isolated.contains(p.to())) {
                dropped++;
            } else {
                out.add(p);
            }
        }
        return out;
    }

    void block(long from, long to) {
        blocked.add(link(from, to));
    }

    /** Heals the partitions; isolated nodes stay isolated. */
    void healAll() {
        blocked.clear();
    }

    void isolate(long id) {
        isolated.add(id);
    }

    void rejoin(long id) {
        isolated.remove(id);
    }

    boolean partitioned() {
        return !blocked.isEmpty();
    }

    String describePartition() {
        List<String> links = new ArrayList<>();
        for (long l : blocked) links.add((l >> 16) + "->" + (l & 0xffff));
        links.sort(null);
        return String.join(" ", links);
    }

    private static long link(long from, long to) {
        return (from << 16) | to;
    }
}
