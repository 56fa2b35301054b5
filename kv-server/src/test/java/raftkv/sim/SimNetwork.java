package raftkv.sim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import raftkv.raft.Message;

/**
 * A simulated network: every message gets a random delay (so messages reorder), may be lost
 * or duplicated, and is dropped while a partition separates sender and receiver. Delivery is
 * ordered by (time, sequence number), so equal times replay identically.
 */
final class SimNetwork {
    record InFlight(long deliverAt, long seq, Message message) {}

    private final SplittableRandom random;
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>((a, b) ->
            a.deliverAt != b.deliverAt ? Long.compare(a.deliverAt, b.deliverAt) : Long.compare(a.seq, b.seq));
    // Directed links that drop everything: "from->to".
    private final Set<Long> blocked = new HashSet<>();
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

    void send(long now, Message m) {
        sent++;
        if (random.nextDouble() < lossRate) {
            dropped++;
            return;
        }
        enqueue(now, m);
        if (random.nextDouble() < duplicateRate) enqueue(now, m);
    }

    private void enqueue(long now, Message m) {
        long delay = minDelay + random.nextInt(maxDelay - minDelay + 1);
        queue.add(new InFlight(now + delay, nextSeq++, m));
    }

    /** Messages due at or before {@code now}, in delivery order, minus those a partition drops. */
    List<Message> due(long now) {
        List<Message> out = new ArrayList<>();
        while (!queue.isEmpty() && queue.peek().deliverAt <= now) {
            Message m = queue.poll().message;
            if (blocked.contains(link(m.from(), m.to()))) {
                dropped++;
            } else {
                out.add(m);
            }
        }
        return out;
    }

    void block(long from, long to) {
        blocked.add(link(from, to));
    }

    void healAll() {
        blocked.clear();
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
