package raftkv.jepsen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import raftkv.jepsen.RegisterModel.Kind;
import raftkv.jepsen.RegisterModel.Step;

/**
 * One key's operations compiled for {@link KeySearch}: determinate operations (which must all be
 * linearized) sorted by invocation, info writes (which may take effect or not) sorted by
 * invocation, and the rest dropped (failed operations and reads whose outcome is unknown
 * constrain nothing).
 *
 * <p>Info writes fall into classes of identical effect. The value of an info set or cas that no
 * read ever returned is replaced by {@link #UNREAD}: nothing can tell such values apart, so all
 * info sets of unread values are one class, as are all info deletes, and the search treats the
 * members of a class as interchangeable.
 */
final class KeyHistory {
    /** The value id standing for every value written by an info write and returned by no read. */
    static final int UNREAD = 0;

    final String key;
    /** Value ids to values, for explanations; id {@link #UNREAD} is a description. */
    final List<String> values = new ArrayList<>(List.of("(a value no read returned)"));
    final int ignored;

    final Op[] dOp;
    final Step[] dStep;
    final long[] dInvoke;
    final long[] dComplete;
    /** Determinate op indexes sorted by completion. */
    final int[] byCompletion;

    final Op[] iOp;
    final Step[] iStep;
    final long[] iInvoke;
    /** The class of each info write; classes are numbered 0..classes-1. */
    final int[] iClass;
    final int classes;
    /**
     * Per class: once the register's {@code next} exceeds this, no member can ever take effect
     * (versions only grow, and a cas expecting e needs the version to be e), so whether members
     * were applied no longer matters. Long.MAX_VALUE for sets and deletes.
     */
    final long[] classExpiry;

    private final Map<String, Integer> valueIds = new HashMap<>();
    private final Map<Integer, List<Integer>> readsOf = new HashMap<>();
    private final Versions versions;

    /** {@code versions}: what the whole history shows about versions, every key included. */
    KeyHistory(String key, List<Op> ops, Versions versions) {
        this.key = key;
        this.versions = versions;
        List<Op> det = new ArrayList<>();
        List<Op> info = new ArrayList<>();
        Set<String> read = new HashSet<>();
        int dropped = 0;
        for (Op op : ops) {
            if (!op.key().equals(key)) throw new IllegalArgumentException("op of key " + op.key() + " in the history of " + key);
            if (op.isFail() || (op.isInfo() && !op.call().isWrite())) {
                dropped++;
                continue;
            }
            (op.isInfo() ? info : det).add(op);
            if (op.outcome() instanceof Outcome.Value v) read.add(v.value());
        }
        ignored = dropped;
        Comparator<Op> byInvoke = Comparator.comparingLong(Op::invoke).thenComparingLong(Op::id);
        det.sort(byInvoke);
        info.sort(byInvoke);
        dOp = det.toArray(new Op[0]);
        iOp = info.toArray(new Op[0]);
        int n = dOp.length;
        int m = iOp.length;
        dStep = new Step[n];
        dInvoke = new long[n];
        dComplete = new long[n];
        for (int i = 0; i < n; i++) {
            dStep[i] = compile(dOp[i], read);
            if (dStep[i].kind() == Kind.READ) readsOf.computeIfAbsent(dStep[i].value(), v -> new ArrayList<>()).add(i);
            dInvoke[i] = dOp[i].invoke();
            dComplete[i] = dOp[i].complete();
        }
        byCompletion = java.util.stream.IntStream.range(0, n).boxed()
                .sorted(Comparator.<Integer>comparingLong(i -> dComplete[i]).thenComparingLong(i -> dOp[i].id()))
                .mapToInt(Integer::intValue).toArray();
        iStep = new Step[m];
        iInvoke = new long[m];
        iClass = new int[m];
        Map<Step, Integer> classOf = new HashMap<>();
        for (int j = 0; j < m; j++) {
            iStep[j] = compile(iOp[j], read);
            iInvoke[j] = iOp[j].invoke();
            iClass[j] = classOf.computeIfAbsent(iStep[j], s -> classOf.size());
        }
        classes = classOf.size();
        classExpiry = new long[classes];
        for (Map.Entry<Step, Integer> e : classOf.entrySet()) {
            classExpiry[e.getValue()] = e.getKey().kind() == Kind.CAS_INFO ? e.getKey().expected() + 1 : Long.MAX_VALUE;
        }
    }

    private int intern(String value) {
        return valueIds.computeIfAbsent(value, v -> {
            values.add(v);
            return values.size() - 1;
        });
    }

    private Step compile(Op op, Set<String> read) {
        Call call = op.call();
        Outcome out = op.outcome();
        if (out instanceof Outcome.NotFound) return new Step(Kind.READ_ABSENT, -1, 0, 0, RegisterModel.FREE);
        if (out instanceof Outcome.Value v) return new Step(Kind.READ, intern(v.value()), 0, v.version(), ownerOf(v.version()));
        if (out instanceof Outcome.VersionMismatch) return new Step(Kind.CAS_MISMATCH, -1, ((Call.Cas) call).expectedVersion(), 0, RegisterModel.FREE);
        if (out instanceof Outcome.Deleted) return new Step(Kind.DELETE, -1, 0, 0, RegisterModel.FREE);
        if (out instanceof Outcome.Ok ok) {
            if (call instanceof Call.Set s) return new Step(Kind.SET, intern(s.value()), 0, ok.version(), RegisterModel.FREE);
            Call.Cas c = (Call.Cas) call;
            return new Step(Kind.CAS, intern(c.value()), c.expectedVersion(), ok.version(), ownerOf(c.expectedVersion()));
        }
        if (call instanceof Call.Set s) return new Step(Kind.SET_INFO, infoValue(s.value(), read), 0, 0, RegisterModel.FREE);
        if (call instanceof Call.Cas c) return new Step(Kind.CAS_INFO, infoValue(c.value(), read), c.expectedVersion(), 0, ownerOf(c.expectedVersion()));
        if (call instanceof Call.Delete) return new Step(Kind.DELETE_INFO, -1, 0, 0, RegisterModel.FREE);
        throw new AssertionError("no step for " + op);
    }

    /** {@link RegisterModel.Step#owner()} for {@code version}. */
    private int ownerOf(long version) {
        Versions.Owner o = versions.owner(version);
        if (o == null) return RegisterModel.FREE;
        return o.acked() || !o.key().equals(key) ? RegisterModel.TAKEN : intern(o.value());
    }

    private int infoValue(String value, Set<String> read) {
        return read.contains(value) ? intern(value) : UNREAD;
    }

    /**
     * The first read (in invocation order) that no write of the key can explain: it returns a
     * value nothing wrote (or may have written), or a version that no write of that value got
     * while no info write of that value could have got it. Null if every read has a candidate.
     */
    Violation unexplainedRead() {
        Map<Integer, Set<Long>> versionsOf = new HashMap<>();
        Set<Integer> infoValues = new HashSet<>();
        for (Step s : dStep) {
            if (s.kind() == Kind.SET || s.kind() == Kind.CAS) versionsOf.computeIfAbsent(s.value(), v -> new HashSet<>()).add(s.version());
        }
        for (Step s : iStep) {
            if (s.value() >= 0) infoValues.add(s.value());
        }
        for (int i = 0; i < dStep.length; i++) {
            Step s = dStep[i];
            if (s.kind() != Kind.READ || infoValues.contains(s.value())) continue;
            Set<Long> written = versionsOf.get(s.value());
            String value = Outcome.quote(values.get(s.value()));
            String why = written == null ? "a read returns " + value + ", a value no operation of the key wrote (or may have written)"
                    : s.version() != 0 && !written.contains(s.version())
                    ? "a read shows " + value + "@" + s.version() + ", but the writes of " + value + " got version " + new java.util.TreeSet<>(written)
                    : null;
            if (why != null) return new Violation(key, why, List.of(), null, dOp[i], List.of());
        }
        return null;
    }

    /** The determinate reads that return value {@code v}. */
    List<Integer> readsOf(int v) {
        return readsOf.getOrDefault(v, List.of());
    }

    /** The determinate op indexes in invocation order (the identity: {@link #dOp} is sorted so). */
    int[] byInvocation() {
        int[] order = new int[dOp.length];
        Arrays.setAll(order, i -> i);
        return order;
    }
}
