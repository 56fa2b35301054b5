package raftkv.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import raftkv.raft.Fixtures.Opts;

/**
 * Several {@link TestNode}s and a hand-driven network: nothing moves unless the test delivers
 * it. {@link #flush()} delivers every pending message, senders in id order and each sender's
 * messages in the order sent, until none are left, dropping those to or from isolated nodes.
 * No randomness and no clock: a test replays identically every time.
 */
final class Cluster {
    private final Opts opts;
    private final List<Long> ids;
    private final TreeMap<Long, TestNode> nodes = new TreeMap<>();
    private final Set<Long> isolated = new TreeSet<>();
    // Every message delivered, in order, for tests that count round trips.
    private final List<Message> delivered = new ArrayList<>();

    Cluster(Opts opts, List<Long> ids) {
        this.opts = opts;
        this.ids = List.copyOf(ids);
        for (long id : ids) nodes.put(id, TestNode.fresh(opts.config(id, ids)));
    }

    RaftConfig config(long id) {
        return opts.config(id, ids);
    }

    TestNode node(long id) {
        TestNode n = nodes.get(id);
        if (n == null) throw new IllegalArgumentException("no node " + id);
        return n;
    }

    /** Replaces node {@code id} by one started from this hard state and log (before anything ran). */
    TestNode restore(long id, HardState hardState, List<Entry> log) {
        TestNode n = TestNode.restored(config(id), hardState, log);
        nodes.put(id, n);
        return n;
    }

    /** Crashes node {@code id} (its undelivered messages are lost) and starts it again from its disk. */
    TestNode restart(long id) {
        TestNode n = node(id).restart();
        nodes.put(id, n);
        return n;
    }

    /** Adds a new, empty node {@code id}, outside the initial membership (it waits to be added). */
    TestNode join(long id) {
        TestNode n = TestNode.fresh(opts.config(id, ids));
        nodes.put(id, n);
        return n;
    }

    void isolate(long id) {
        isolated.add(id);
    }

    void heal() {
        isolated.clear();
    }

    /** Steps one message into its addressee and handles the resulting Ready. */
    void deliver(Message m) {
        delivered.add(m);
        TestNode to = node(m.to());
        to.step(m);
        to.ready();
    }

    /** Delivers {@code request}, then every message its addressee sends in answer. */
    void roundTrip(Message request) {
        deliver(request);
        for (Message back : node(request.to()).takeSent()) deliver(back);
    }

    /** Delivers pending messages until there are none; returns how many were delivered. */
    int flush() {
        return flush(m -> true);
    }

    /**
     * Delivers the pending messages that {@code which} accepts until none is left, leaving the
     * others pending in their senders' outboxes; returns how many were delivered.
     */
    int flush(Predicate<Message> which) {
        for (TestNode n : nodes.values()) n.ready();
        int count = 0;
        for (int round = 0; ; round++) {
            if (round > 10_000) throw new AssertionError("messages still flowing after 10000 rounds");
            List<Message> batch = new ArrayList<>();
            for (TestNode n : nodes.values()) batch.addAll(n.takeSent(which));
            if (batch.isEmpty()) return count;
            for (Message m : batch) {
                if (isolated.contains(m.from()) || isolated.contains(m.to())) continue;
                deliver(m);
                count++;
            }
        }
    }

    /** Ticks every node once (in id order), handling each Ready, then flushes; {@code n} times. */
    void tickAll(int n) {
        for (int i = 0; i < n; i++) {
            for (TestNode node : nodes.values()) node.elapse(1);
            flush();
        }
    }

    /** Ticks node {@code id} alone until its election timer fires, then flushes; it must win. */
    TestNode elect(long id) {
        TestNode n = node(id);
        for (int i = 0; i < 2 * opts.electionTicks() && n.role() == Role.FOLLOWER; i++) n.elapse(1);
        flush();
        if (n.role() != Role.LEADER) throw new AssertionError("node " + id + " did not win: " + n);
        return n;
    }

    List<Message> delivered() {
        return List.copyOf(delivered);
    }

    List<TestNode> nodes() {
        return List.copyOf(nodes.values());
    }
}
