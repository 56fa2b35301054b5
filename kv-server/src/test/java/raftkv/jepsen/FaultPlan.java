package raftkv.jepsen;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * The nemesis's schedule, drawn in full from {@code SplittableRandom(seed)} before the run starts,
 * so the same seed always gives the same faults in the same order with the same durations. Only
 * which node is "the leader" is decided when a fault begins; every fault that aims at the leader
 * also carries a node drawn in advance, used when no leader is known.
 *
 * <p>Faults come one after another with a quiet gap between them, and none takes down more than a
 * minority of the nodes for more than a moment (kill-all restarts every node at once), so the
 * cluster can make progress between and during faults.
 */
final class FaultPlan {
    /** The node a fault aims at: the leader when {@code leader} and one is known, else {@code node}. */
    record Target(boolean leader, int node) {
        String describe() {
            return leader ? "the leader (else node " + node + ")" : "node " + node;
        }
    }

    /** One fault, healed after {@code millis} (Transfer: the time to let pass after it). */
    sealed interface Fault {
        long millis();
    }

    /** kill -9 of each target, restarted together after {@code millis}. */
    record Kill(List<Target> targets, long millis) implements Fault {}

    /** SIGSTOP, then SIGCONT after {@code millis}. */
    record Pause(Target target, long millis) implements Fault {}

    /** Pauses one node and kills another (two nodes down out of five). */
    record PauseAndKill(Target paused, Target killed, long millis) implements Fault {}

    /**
     * A symmetric partition: the first {@code minority} nodes of {@code order} (with the target
     * moved to the front) against the rest.
     */
    record Partition(Target target, int minority, int[] order, long millis) implements Fault {}

    /**
     * Jepsen's bridge: {@code order}'s nodes split in two halves that cannot talk, except the middle
     * one, which talks to both. The target is moved to the middle.
     */
    record Bridge(Target target, int[] order, long millis) implements Fault {}

    /** The target cannot send Raft requests to any other node ({@code outgoing}) or receive them from any. */
    record OneWay(Target target, boolean outgoing, long millis) implements Fault {}

    /** Asks the leader to hand leadership to {@code to} (or, if that is the leader, to the next node). */
    record Transfer(int to, long millis) implements Fault {}

    /** kill -9 of every node at once, restarted after {@code millis}. */
    record KillAll(long millis) implements Fault {}

    /** One partition of a {@link Flapping} run: the first {@code minority} nodes of {@code order} against the rest. */
    record Cut(int minority, int[] order, long millis) {}

    /** Partitions that change every few hundred milliseconds: many short-lived leaders, logs that diverge. */
    record Flapping(List<Cut> cuts) implements Fault {
        @Override
        public long millis() {
            return cuts.stream().mapToLong(Cut::millis).sum();
        }
    }

    /**
     * Cuts the target off alone, then halfway through kills the leader the others elect (or, if
     * none is known, the fallback); all is healed and restarted after {@code millis}.
     */
    record IsolateAndKill(Target isolated, Target fallback, long millis) implements Fault {}

    /**
     * A membership change round trip: remove the target voter (the leader, maybe), kill it, wipe its
     * data folder, start it with --join, add it as a learner, and promote it once it has caught up.
     * {@code millis} bounds the whole (each step waits for the one before).
     */
    record Rejoin(Target target, long millis) implements Fault {}

    /** Waits {@code gapMillis}, then injects {@code fault}. */
    record Step(long gapMillis, Fault fault) {}

    private FaultPlan() {}

    /** Steps covering at least {@code duration} of planned time, for nodes {@code 0 .. nodes-1}. */
    static List<Step> generate(long seed, int nodes, Duration duration) {
        return generate(seed, nodes, duration, false);
    }

    /** As above; with {@code membership}, one fault in five is a {@link Rejoin} (three nodes or more). */
    static List<Step> generate(long seed, int nodes, Duration duration, boolean membership) {
        SplittableRandom r = new SplittableRandom(seed);
        int minority = (nodes - 1) / 2;
        List<Step> steps = new ArrayList<>();
        long planned = 0;
        while (planned < duration.toMillis()) {
            long gap = between(r, 500, 3000);
            Fault f = membership && nodes >= 3 && r.nextInt(5) == 0 ? new Rejoin(target(r, nodes, 30), 30_000)
                    : fault(r, nodes, minority);
            steps.add(new Step(gap, f));
            planned += gap + f.millis();
        }
        return steps;
    }

    private static Fault fault(SplittableRandom r, int nodes, int minority) {
        int dice = r.nextInt(26);
        if (minority == 0) return new Transfer(r.nextInt(nodes), between(r, 500, 2000)); // one node: nothing else is safe
        if (dice < 6) {
            boolean two = minority >= 2 && r.nextInt(5) == 0;
            Target first = target(r, nodes, 60);
            List<Target> targets = two ? List.of(first, other(r, nodes, first)) : List.of(first);
            return new Kill(targets, between(r, 1000, 8000));
        }
        if (dice < 9) return new Pause(target(r, nodes, 60), between(r, 1000, 6000));
        if (dice < 10 && minority >= 2) {
            Target paused = target(r, nodes, 50);
            return new PauseAndKill(paused, other(r, nodes, paused), between(r, 1000, 5000));
        }
        if (dice < 13) return new Partition(target(r, nodes, 60), 1 + r.nextInt(minority), permutation(r, nodes),
                between(r, 2000, 10000));
        if (dice < 14 && nodes >= 3) return new Bridge(target(r, nodes, 50), permutation(r, nodes), between(r, 3000, 10000));
        if (dice < 16) return new OneWay(target(r, nodes, 70), r.nextBoolean(), between(r, 2000, 8000));
        if (dice < 21) return new Transfer(r.nextInt(nodes), between(r, 500, 2000));
        if (dice < 22) return new KillAll(between(r, 0, 1000));
        if (dice < 24) {
            List<Cut> cuts = new ArrayList<>();
            for (int i = 0, n = 4 + r.nextInt(12); i < n; i++) {
                cuts.add(new Cut(1 + r.nextInt(minority), permutation(r, nodes), between(r, 200, 1500)));
            }
            return new Flapping(cuts);
        }
        Target isolated = target(r, nodes, 70);
        // Isolating one node and killing another leaves a quorum only with five nodes or more.
        if (minority < 2) return new Partition(isolated, 1, permutation(r, nodes), between(r, 2000, 10000));
        return new IsolateAndKill(isolated, other(r, nodes, isolated), between(r, 4000, 10000));
    }

    /** The leader with probability {@code leaderPercent}%, and always a node drawn for when none is known. */
    private static Target target(SplittableRandom r, int nodes, int leaderPercent) {
        boolean leader = r.nextInt(100) < leaderPercent;
        return new Target(leader, r.nextInt(nodes));
    }

    /** A node other than {@code t}'s fallback (if {@code t} turns out to be the leader, the nemesis picks another). */
    private static Target other(SplittableRandom r, int nodes, Target t) {
        return new Target(false, (t.node() + 1 + r.nextInt(nodes - 1)) % nodes);
    }

    private static int[] permutation(SplittableRandom r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static long between(SplittableRandom r, long lo, long hi) {
        return lo + r.nextLong(hi - lo + 1);
    }

    /** One line per step, for the run's report. */
    static String describe(List<Step> steps) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            b.append(String.format("  %3d. after %5d ms: %s%n", i + 1, s.gapMillis(), describe(s.fault())));
        }
        return b.toString();
    }

    static String describe(Fault f) {
        if (f instanceof Kill k) {
            return "kill -9 " + k.targets().stream().map(Target::describe).collect(Collectors.joining(" and "))
                    + ", restart after " + k.millis() + " ms";
        } else if (f instanceof Pause p) {
            return "SIGSTOP " + p.target().describe() + " for " + p.millis() + " ms";
        } else if (f instanceof PauseAndKill pk) {
            return "SIGSTOP " + pk.paused().describe() + " and kill -9 " + pk.killed().describe() + " for " + pk.millis() + " ms";
        } else if (f instanceof Partition p) {
            return "partition " + p.minority() + " node(s) from the rest, " + p.target().describe() + " in the minority, order "
                    + Arrays.toString(p.order()) + ", for " + p.millis() + " ms";
        } else if (f instanceof Bridge b) {
            return "bridge partition, order " + Arrays.toString(b.order()) + ", " + b.target().describe() + " as the bridge, for "
                    + b.millis() + " ms";
        } else if (f instanceof OneWay o) {
            return (o.outgoing() ? "cut every request from " : "cut every request to ") + o.target().describe()
                    + " (one-way) for " + o.millis() + " ms";
        } else if (f instanceof Transfer t) {
            return "transfer leadership to node " + t.to() + ", then wait " + t.millis() + " ms";
        } else if (f instanceof Flapping fl) {
            return "flapping partitions: " + fl.cuts().stream().map(c -> Arrays.toString(Arrays.copyOf(c.order(), c.minority()))
                    + " for " + c.millis() + " ms").collect(Collectors.joining(", "));
        } else if (f instanceof Rejoin j) {
            return "replace " + j.target().describe() + ": remove it from the cluster, wipe it, start a spare machine with --join under a new id, add it as a learner, promote it"
                    + " (within " + j.millis() + " ms)";
        } else if (f instanceof IsolateAndKill ik) {
            return "cut off " + ik.isolated().describe() + ", then kill -9 the new leader (else " + ik.fallback().describe()
                    + "), heal after " + ik.millis() + " ms";
        } else {
            return "kill -9 all nodes, restart after " + f.millis() + " ms";
        }
    }
}
