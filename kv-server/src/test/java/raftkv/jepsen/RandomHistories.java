package raftkv.jepsen;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Linearizable histories by construction: concurrent clients invoke random operations on a few
 * keys; each operation takes effect at a random instant within its interval (an info write at a
 * random instant after its invocation, possibly after its client gave up, or never), and its
 * outcome is what a register shows at that instant. Versions grow by random steps, as log indexes
 * shared by all keys do. Every value written is unique unless {@link Params#values()} says otherwise.
 */
final class RandomHistories {
    /**
     * {@code infoRate}: share of operations whose outcome is lost (writes among them take effect
     * half the time); {@code failRate}: share of writes certainly not applied; {@code values}: how
     * many distinct values writes draw from, or 0 for a unique value per write.
     */
    record Params(long seed, int processes, int keys, int ops, double infoRate, double failRate, int maxDuration, int maxGap, int values) {
        Params(long seed, int processes, int keys, int ops, double infoRate, double failRate, int maxDuration, int maxGap) {
            this(seed, processes, keys, ops, infoRate, failRate, maxDuration, maxGap, 0);
        }

        static Params small(long seed) {
            return new Params(seed, 6, 3, 300, 0.05, 0.02, 40, 20);
        }
    }

    private RandomHistories() {}

    /** An operation before its outcome is known: when it runs, and when (if ever) it takes effect. */
    private static final class Draft {
        final long id;
        final int process;
        Call call;
        final long invoke;
        final long complete;
        final long effect; // Long.MAX_VALUE: never
        final boolean info;
        final boolean fail;
        Outcome outcome;

        Draft(long id, int process, Call call, long invoke, long complete, long effect, boolean info, boolean fail) {
            this.id = id;
            this.process = process;
            this.call = call;
            this.invoke = invoke;
            this.complete = complete;
            this.effect = effect;
            this.info = info;
            this.fail = fail;
        }
    }

    /** One key's register as the simulated store holds it. */
    private record Cell(String value, long version) {}

    static List<Op> generate(Params p) {
        SplittableRandom rnd = new SplittableRandom(p.seed());
        PriorityQueue<long[]> free = new PriorityQueue<>(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
        for (int i = 0; i < p.processes(); i++) free.add(new long[] {rnd.nextInt(p.maxGap() + 1), i});
        List<Draft> drafts = new ArrayList<>();
        for (long id = 1; id <= p.ops(); id++) {
            long[] next = free.poll();
            int process = (int) next[1];
            long invoke = next[0] + rnd.nextInt(p.maxGap() + 1);
            long complete = invoke + 1 + rnd.nextInt(p.maxDuration());
            String key = "k" + rnd.nextInt(p.keys());
            Call call = randomCall(rnd, key, "v" + (p.values() > 0 ? rnd.nextInt(p.values()) : id));
            boolean info = rnd.nextDouble() < p.infoRate();
            boolean fail = !info && call.isWrite() && rnd.nextDouble() < p.failRate();
            long effect = invoke + rnd.nextLong(complete - invoke + 1);
            if (info && call.isWrite()) effect = rnd.nextBoolean() ? invoke + rnd.nextLong(20L * p.maxDuration()) : Long.MAX_VALUE;
            if (fail) effect = Long.MAX_VALUE;
            drafts.add(new Draft(id, process, call, invoke, complete, effect, info, fail));
            free.add(new long[] {complete, process});
        }
        List<Draft> byEffect = new ArrayList<>(drafts);
        byEffect.sort(Comparator.<Draft>comparingLong(d -> d.effect).thenComparingLong(d -> d.id));
        Map<String, Cell> store = new HashMap<>();
        Map<String, Long> seen = new HashMap<>(); // "process key" -> the version that client last learned
        long version = 0;
        for (Draft d : byEffect) {
            if (d.effect == Long.MAX_VALUE) break;
            Cell cell = store.get(d.call.key());
            String client = d.process + " " + d.call.key();
            if (d.call instanceof Call.Cas c) {
                // mostly the version this client last saw (a getm, an ok), sometimes the current one
                Long known = seen.get(client);
                long expected = known != null && rnd.nextInt(5) > 0 ? known
                        : cell != null ? cell.version() : 1 + rnd.nextLong(version + 1);
                d.call = new Call.Cas(c.key(), expected, c.value());
            }
            version += 1 + rnd.nextInt(3);
            d.outcome = apply(store, d.call, version);
            if (!d.info && d.outcome instanceof Outcome.Ok ok) seen.put(client, ok.version());
            if (!d.info && d.outcome instanceof Outcome.Value v && v.version() > 0) seen.put(client, v.version());
        }
        List<Op> ops = new ArrayList<>(drafts.size());
        for (Draft d : drafts) {
            if (d.call instanceof Call.Cas c && c.expectedVersion() == 0) d.call = new Call.Cas(c.key(), 1 + rnd.nextLong(version + 1), c.value());
            Outcome out = d.info ? new Outcome.Info("ERR_TIMEOUT") : d.fail ? new Outcome.Fail("ERR_CMD_ERR") : d.outcome;
            ops.add(new Op(d.id, d.process, d.call, out, d.invoke, d.complete));
        }
        return ops;
    }

    private static Call randomCall(SplittableRandom rnd, String key, String value) {
        int r = rnd.nextInt(100);
        if (r < 30) return new Call.Set(key, value);
        if (r < 45) return new Call.Get(key);
        if (r < 70) return new Call.GetM(key);
        if (r < 90) return new Call.Cas(key, 0, value); // expected version chosen when it takes effect
        return new Call.Delete(key);
    }

    /** The outcome of {@code call} on {@code store}; a write that changes the register gets {@code version}. */
    private static Outcome apply(Map<String, Cell> store, Call call, long version) {
        Cell cell = store.get(call.key());
        if (call instanceof Call.Set s) {
            store.put(s.key(), new Cell(s.value(), version));
            return new Outcome.Ok(version);
        }
        if (call instanceof Call.Get || call instanceof Call.GetM) {
            if (cell == null) return new Outcome.NotFound();
            return new Outcome.Value(cell.value(), call instanceof Call.GetM ? cell.version() : 0);
        }
        if (call instanceof Call.Cas c) {
            if (cell == null) return new Outcome.NotFound();
            if (cell.version() != c.expectedVersion()) return new Outcome.VersionMismatch();
            store.put(c.key(), new Cell(c.value(), version));
            return new Outcome.Ok(version);
        }
        if (cell == null) return new Outcome.NotFound();
        store.remove(call.key());
        return new Outcome.Deleted();
    }
}
