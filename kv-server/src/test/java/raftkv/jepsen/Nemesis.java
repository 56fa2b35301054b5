package raftkv.jepsen;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import raftkv.config.ServerSpec;
import raftkv.jepsen.FaultPlan.Fault;
import raftkv.jepsen.FaultPlan.Target;
import raftkv.proto.kv.KeyValueGrpc;
import raftkv.proto.kv.MemberChangeKind;
import raftkv.proto.kv.MemberChangeRequest;
import raftkv.proto.testing.BlockRequest;
import raftkv.proto.testing.Direction;
import raftkv.proto.testing.FaultInjectionGrpc;
import raftkv.proto.testing.TransferLeadershipRequest;
import raftkv.proto.testing.TransferLeadershipResponse;
import raftkv.proto.kv.StatusResponse;
import raftkv.proto.testing.UnblockRequest;

/**
 * Carries out a {@link FaultPlan} against a {@link ChaosCluster}: kills and restarts, pauses,
 * partitions through each node's test-only FaultInjection service, leadership transfers. Each
 * fault is healed before the next begins; at the deadline (or on {@link #stop()}) the fault in
 * progress is cut short and healed. Logs one line per action and counts faults by kind.
 */
final class Nemesis implements Runnable {
    private static final long RPC_DEADLINE_MS = 2000;
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(20);

    private final ChaosCluster cluster;
    private final List<FaultPlan.Step> plan;
    private final long deadlineNanos;
    private final Consumer<String> log;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Map<String, Integer> injected = new TreeMap<>();

    Nemesis(ChaosCluster cluster, List<FaultPlan.Step> plan, long deadlineNanos, Consumer<String> log) {
        this.cluster = cluster;
        this.plan = plan;
        this.deadlineNanos = deadlineNanos;
        this.log = log;
    }

    void stop() {
        stop.set(true);
    }

    /** Faults injected so far, by kind. */
    synchronized Map<String, Integer> injected() {
        return new TreeMap<>(injected);
    }

    @Override
    public void run() {
        try {
            for (FaultPlan.Step step : plan) {
                if (!waitFor(step.gapMillis())) break;
                inject(step.fault());
            }
        } finally {
            healAll();
        }
    }

    /** Lets time pass, cut short by stop or the deadline; false if cut short. */
    private boolean waitFor(long millis) {
        long left = Math.min(millis, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        if (left <= 0 || stop.get()) return false;
        return Waits.elapse(Duration.ofMillis(left), stop::get) && left == millis;
    }

    private void inject(Fault f) {
        if (f instanceof FaultPlan.Kill k) {
            List<Integer> nodes = resolveDistinct(k.targets());
            for (int i = 0; i < nodes.size(); i++) kill(nodes.get(i), k.targets().get(i));
            waitFor(k.millis());
            restart(nodes);
        } else if (f instanceof FaultPlan.Pause p) {
            int node = resolve(p.target());
            count(p.target().leader() ? "pause leader" : "pause node");
            if (cluster.pause(node)) log.accept("SIGSTOP node " + node + (p.target().leader() ? " (leader)" : ""));
            waitFor(p.millis());
            cluster.resume(node);
            log.accept("SIGCONT node " + node);
        } else if (f instanceof FaultPlan.PauseAndKill pk) {
            List<Integer> nodes = resolveDistinct(List.of(pk.paused(), pk.killed()));
            count("pause and kill");
            if (cluster.pause(nodes.get(0))) log.accept("SIGSTOP node " + nodes.get(0));
            kill(nodes.get(1), pk.killed());
            waitFor(pk.millis());
            cluster.resume(nodes.get(0));
            log.accept("SIGCONT node " + nodes.get(0));
            restart(List.of(nodes.get(1)));
        } else if (f instanceof FaultPlan.Partition p) {
            int[] order = withNodeAt(p.order(), resolve(p.target()), 0);
            List<Integer> minority = new ArrayList<>();
            List<Integer> majority = new ArrayList<>();
            for (int i = 0; i < order.length; i++) (i < p.minority() ? minority : majority).add(order[i]);
            count("partition");
            log.accept("partition " + minority + " | " + majority);
            cut(minority, majority, Direction.DIRECTION_BOTH);
            cut(majority, minority, Direction.DIRECTION_BOTH);
            waitFor(p.millis());
            heal();
        } else if (f instanceof FaultPlan.Bridge b) {
            int mid = b.order().length / 2;
            int[] order = withNodeAt(b.order(), resolve(b.target()), mid);
            List<Integer> left = new ArrayList<>();
            List<Integer> right = new ArrayList<>();
            for (int i = 0; i < order.length; i++) if (i != mid) (i < mid ? left : right).add(order[i]);
            count("bridge");
            log.accept("bridge partition " + left + " | " + order[mid] + " | " + right);
            cut(left, right, Direction.DIRECTION_BOTH);
            cut(right, left, Direction.DIRECTION_BOTH);
            waitFor(b.millis());
            heal();
        } else if (f instanceof FaultPlan.OneWay o) {
            int node = resolve(o.target());
            List<Integer> others = cluster.ids().stream().filter(id -> id != node).toList();
            count("one-way");
            log.accept("one-way: node " + node + (o.outgoing() ? " cannot send to " : " cannot receive from ") + others);
            cut(List.of(node), others, o.outgoing() ? Direction.DIRECTION_OUTGOING : Direction.DIRECTION_INCOMING);
            waitFor(o.millis());
            heal();
        } else if (f instanceof FaultPlan.Transfer t) {
            transfer(t.to());
            waitFor(t.millis());
        } else if (f instanceof FaultPlan.Flapping fl) {
            count("flapping partitions");
            for (FaultPlan.Cut c : fl.cuts()) {
                List<Integer> minority = new ArrayList<>();
                List<Integer> majority = new ArrayList<>();
                for (int i = 0; i < c.order().length; i++) (i < c.minority() ? minority : majority).add(c.order()[i]);
                unblockEverywhere();
                log.accept("flapping: partition " + minority + " | " + majority);
                cut(minority, majority, Direction.DIRECTION_BOTH);
                cut(majority, minority, Direction.DIRECTION_BOTH);
                if (!waitFor(c.millis())) break;
            }
            heal();
        } else if (f instanceof FaultPlan.IsolateAndKill ik) {
            isolateAndKill(ik);
        } else if (f instanceof FaultPlan.Rejoin j) {
            rejoin(j);
        } else {
            count("kill all");
            log.accept("kill -9 all nodes");
            cluster.ids().forEach(cluster::kill);
            waitFor(f.millis());
            restart(cluster.ids());
        }
    }

    private void isolateAndKill(FaultPlan.IsolateAndKill ik) {
        int isolated = resolve(ik.isolated());
        List<Integer> others = cluster.ids().stream().filter(id -> id != isolated).toList();
        count("isolate and kill");
        log.accept("cut off node " + isolated + (ik.isolated().leader() ? " (leader)" : "") + " from " + others);
        cut(List.of(isolated), others, Direction.DIRECTION_BOTH);
        cut(others, List.of(isolated), Direction.DIRECTION_BOTH);
        boolean full = waitFor(ik.millis() / 2);
        // The leader the others elected meanwhile; the fallback if they have none (yet).
        Map<Integer, StatusResponse> statuses = LeaderWatch.poll(cluster);
        statuses.keySet().retainAll(others);
        int fallback = cluster.current(ik.fallback().node());
        int victim = LeaderWatch.leader(statuses).orElse(fallback != isolated ? fallback : others.get(0));
        log.accept("kill -9 node " + victim + (LeaderWatch.leader(statuses).isPresent() ? " (leader of the majority)" : ""));
        cluster.kill(victim);
        if (full) waitFor(ik.millis() - ik.millis() / 2);
        heal();
        restart(List.of(victim));
    }

    /**
     * Replaces a voter, as an operator replaces a machine (kvctl member does each change): removes
     * it, kills it and wipes its disk, starts a spare machine with --join under a new id (a removed
     * id is never used again), adds it as a learner and promotes it. Each change goes through the
     * leader, retried while refused (another change in flight, the learner still behind) or while
     * the leader changes, within the fault's time.
     */
    private void rejoin(FaultPlan.Rejoin j) {
        int node = resolve(j.target());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(j.millis());
        count("rejoin");
        log.accept("membership: remove node " + node + (j.target().leader() ? " (leader)" : ""));
        if (!memberChange(MemberChangeKind.MEMBER_CHANGE_KIND_REMOVE, node, "is not a member", deadline)) return;
        cluster.kill(node);
        int spare;
        try {
            cluster.wipe(node);
            spare = cluster.replace(node);
            if (spare < 0) {
                log.accept("membership: node " + node + " removed; no spare machine left to replace it");
                return;
            }
            cluster.start(spare);
        } catch (IOException | IllegalStateException e) {
            log.accept("membership: could not replace node " + node + ": " + e.getMessage());
            return;
        }
        log.accept("membership: node " + node + " wiped; spare node " + spare + " started with --join; adding it as a learner");
        if (!memberChange(MemberChangeKind.MEMBER_CHANGE_KIND_ADD_LEARNER, spare, "already", deadline)) return;
        log.accept("membership: promoting node " + spare + " once it has caught up");
        if (memberChange(MemberChangeKind.MEMBER_CHANGE_KIND_PROMOTE, spare, "already a voter", deadline)) {
            log.accept("membership: node " + spare + " is a voter in node " + node + "'s place");
        }
    }

    /**
     * One membership change, sent to the leader until it is committed (true), or until the
     * deadline (false, logged). A refusal that says it is done already ({@code doneAlready}: a
     * retry of a change whose answer was lost) counts as done.
     */
    private boolean memberChange(MemberChangeKind kind, int node, String doneAlready, long deadline) {
        ServerSpec s = cluster.server(node);
        MemberChangeRequest request = MemberChangeRequest.newBuilder().setKind(kind).setNodeId(node).setHost(s.hostname())
                .setClientPort(s.clientPort()).setLogPort(s.logPort()).build();
        String last = "no leader";
        while (System.nanoTime() < deadline && !stop.get()) {
            OptionalInt leader = LeaderWatch.leader(LeaderWatch.poll(cluster));
            if (leader.isPresent()) {
                try {
                    KeyValueGrpc.newBlockingStub(cluster.channel(leader.getAsInt())).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .memberChange(request);
                    return true;
                } catch (StatusRuntimeException e) {
                    last = e.getStatus().getCode() + ": " + e.getStatus().getDescription();
                    String why = String.valueOf(e.getStatus().getDescription());
                    if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION && why.contains(doneAlready)) return true;
                }
            }
            if (!waitFor(200)) break;
        }
        log.accept("membership: gave up on " + kind + " of node " + node + " (" + last + ")");
        return false;
    }

    private void kill(int node, Target target) {
        count(target.leader() ? "kill leader" : "kill node");
        log.accept("kill -9 node " + node + (target.leader() ? " (leader)" : ""));
        cluster.kill(node);
    }

    /** Starts the nodes, then waits (up to 20 s) until they answer, so the next fault finds them up. */
    private void restart(List<Integer> nodes) {
        List<Integer> started = new ArrayList<>();
        for (int node : nodes) {
            try {
                cluster.start(node);
                started.add(node);
            } catch (IOException | IllegalStateException e) {
                log.accept("could not restart node " + node + ": " + e.getMessage());
            }
        }
        if (started.isEmpty()) return;
        log.accept("restart node" + (started.size() > 1 ? "s " : " ") + started);
        List<Integer> silent = LeaderWatch.awaitServing(cluster, started, RESTART_TIMEOUT);
        if (!silent.isEmpty()) log.accept("not answering " + RESTART_TIMEOUT.toSeconds() + " s after restart: nodes " + silent);
    }

    private void transfer(int to) {
        OptionalInt leader = LeaderWatch.leader(LeaderWatch.poll(cluster));
        if (leader.isEmpty()) {
            log.accept("transfer: no leader known, skipped");
            return;
        }
        int target = to != leader.getAsInt() ? to : cluster.ids().get((cluster.ids().indexOf(to) + 1) % cluster.ids().size());
        count("transfer");
        try {
            TransferLeadershipResponse r = faults(leader.getAsInt()).transferLeadership(
                    TransferLeadershipRequest.newBuilder().setTargetId(target).build());
            log.accept("transfer leadership " + leader.getAsInt() + " -> " + target + (r.getStarted() ? "" : ": not the leader any more"));
        } catch (RuntimeException e) {
            log.accept("transfer leadership " + leader.getAsInt() + " -> " + target + " failed: " + e.getMessage());
        }
    }

    /** Each node of {@code from} stops talking to every node of {@code to}, in {@code direction}. */
    private void cut(List<Integer> from, List<Integer> to, Direction direction) {
        for (int node : from) {
            BlockRequest.Builder b = BlockRequest.newBuilder().setDirection(direction);
            to.forEach(peer -> b.addPeerIds(peer));
            try {
                faults(node).block(b.build());
            } catch (RuntimeException e) {
                log.accept("could not cut node " + node + " off: " + e.getMessage());
            }
        }
    }

    /** Unblocks everything on every running node. */
    private void heal() {
        unblockEverywhere();
        log.accept("healed the network");
    }

    private void unblockEverywhere() {
        for (int node : cluster.ids()) {
            if (!cluster.running(node)) continue;
            try {
                faults(node).unblock(UnblockRequest.newBuilder().setAll(true).build());
            } catch (RuntimeException e) {
                log.accept("could not heal node " + node + ": " + e.getMessage());
            }
        }
    }

    /** Ends every fault: resumes paused nodes, heals the network, restarts killed nodes. */
    void healAll() {
        for (int node : cluster.ids()) {
            if (cluster.paused(node)) {
                cluster.resume(node);
                log.accept("SIGCONT node " + node);
            }
        }
        heal();
        restart(cluster.ids().stream().filter(node -> !cluster.running(node)).toList());
    }

    private FaultInjectionGrpc.FaultInjectionBlockingStub faults(int node) {
        return FaultInjectionGrpc.newBlockingStub(cluster.channel(node)).withDeadlineAfter(RPC_DEADLINE_MS, TimeUnit.MILLISECONDS);
    }

    private int resolve(Target t) {
        int planned = cluster.current(t.node());
        if (!t.leader()) return planned;
        return LeaderWatch.leader(LeaderWatch.poll(cluster)).orElse(planned);
    }

    /** The targets' nodes, distinct: a collision moves to the next id. */
    private List<Integer> resolveDistinct(List<Target> targets) {
        List<Integer> ids = cluster.ids();
        List<Integer> nodes = new ArrayList<>();
        for (Target t : targets) {
            int node = resolve(t);
            while (nodes.contains(node)) node = ids.get((ids.indexOf(node) + 1) % ids.size());
            nodes.add(node);
        }
        return nodes;
    }

    /** {@code order} with {@code node} swapped into position {@code at}. */
    private static int[] withNodeAt(int[] order, int node, int at) {
        int[] o = order.clone();
        for (int i = 0; i < o.length; i++) {
            if (o[i] == node) {
                o[i] = o[at];
                o[at] = node;
            }
        }
        return o;
    }

    private synchronized void count(String kind) {
        injected.merge(kind, 1, Integer::sum);
    }
}
