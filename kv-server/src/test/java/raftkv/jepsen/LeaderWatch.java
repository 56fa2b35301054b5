package raftkv.jepsen;

import com.google.common.util.concurrent.ListenableFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.Role;
import raftkv.proto.kv.StatusRequest;
import raftkv.proto.kv.StatusResponse;
import raftkv.testing.Await;

/**
 * Polls every node's Status (kv.proto) a few times a second and records each (term, leader) pair
 * any node reports: the leaders the cluster went through. Also answers "who leads now" for the
 * nemesis.
 */
final class LeaderWatch implements Runnable {
    /** A leader seen: node {@code leader} led in {@code term}. */
    record Reign(long term, long leader) implements Comparable<Reign> {
        @Override
        public int compareTo(Reign o) {
            return term != o.term ? Long.compare(term, o.term) : Long.compare(leader, o.leader);
        }
    }

    private static final Duration INTERVAL = Duration.ofMillis(200);
    private static final Duration CALL_DEADLINE = Duration.ofMillis(500);

    private final ChaosCluster cluster;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Set<Reign> reigns = new ConcurrentSkipListSet<>();

    LeaderWatch(ChaosCluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public void run() {
        while (!stop.get()) {
            record(poll(cluster));
            Waits.elapse(INTERVAL, stop::get);
        }
    }

    void stop() {
        stop.set(true);
    }

    /** Every (term, leader) pair seen so far, by term. */
    Set<Reign> reigns() {
        return new TreeSet<>(reigns);
    }

    /** Records what one poll shows; the runner calls it too, for polls of its own. */
    void record(Map<Integer, StatusResponse> statuses) {
        for (StatusResponse s : statuses.values()) {
            if (s.getLeaderKnown()) reigns.add(new Reign(s.getTerm(), s.getLeaderId()));
            if (s.getRole() == Role.ROLE_LEADER) reigns.add(new Reign(s.getTerm(), s.getNodeId()));
        }
    }

    /** The Status of every node that answers within half a second, asked in parallel. */
    static Map<Integer, StatusResponse> poll(ChaosCluster cluster) {
        Map<Integer, ListenableFuture<StatusResponse>> calls = new LinkedHashMap<>();
        for (int id : cluster.ids()) {
            calls.put(id, KeyValueGrpc.newFutureStub(cluster.channel(id))
                    .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .status(StatusRequest.getDefaultInstance()));
        }
        Map<Integer, StatusResponse> answers = new LinkedHashMap<>();
        for (var e : calls.entrySet()) {
            try {
                answers.put(e.getKey(), e.getValue().get(CALL_DEADLINE.toMillis() + 500, TimeUnit.MILLISECONDS));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception unreachable) {
                e.getValue().cancel(true); // down, paused or restarting: no answer this time
            }
        }
        return answers;
    }

    /**
     * Waits up to {@code timeout} until each of {@code nodes} answers a Status call, marking each
     * as serving when it does; returns the nodes that never answered.
     */
    static List<Integer> awaitServing(ChaosCluster cluster, List<Integer> nodes, Duration timeout) {
        List<Integer> waiting = new ArrayList<>(nodes);
        Await.holds(timeout, () -> {
            Map<Integer, StatusResponse> answers = poll(cluster);
            for (int id : answers.keySet()) cluster.markServing(id);
            waiting.removeIf(answers::containsKey);
            return waiting.isEmpty();
        });
        return waiting;
    }

    /** The node that claims leadership in the highest term among {@code statuses}. */
    static OptionalInt leader(Map<Integer, StatusResponse> statuses) {
        StatusResponse best = null;
        for (StatusResponse s : statuses.values()) {
            if (s.getRole() == Role.ROLE_LEADER && (best == null || s.getTerm() > best.getTerm())) best = s;
        }
        return best == null ? OptionalInt.empty() : OptionalInt.of((int) best.getNodeId());
    }

    /**
     * The leader a majority of all nodes agree on, waiting up to {@code timeout}; empty if none
     * within it.
     */
    static OptionalInt awaitAgreedLeader(ChaosCluster cluster, Duration timeout) {
        int[] agreed = {-1};
        Await.holds(timeout, () -> {
            Map<Long, Integer> votes = new LinkedHashMap<>();
            List<StatusResponse> answers = new ArrayList<>(poll(cluster).values());
            for (StatusResponse s : answers) if (s.getLeaderKnown()) votes.merge(s.getLeaderId(), 1, Integer::sum);
            for (var v : votes.entrySet()) {
                if (v.getValue() > cluster.ids().size() / 2) {
                    agreed[0] = (int) (long) v.getKey();
                    return true;
                }
            }
            return false;
        });
        return agreed[0] < 0 ? OptionalInt.empty() : OptionalInt.of(agreed[0]);
    }
}
