package raftkv.jepsen;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a history tells about versions across keys, which the per-key search cannot see. A
 * version is unique across the store (SPEC 4): it belongs to one write, of one key and one value.
 * So two acknowledged writes never share one, and every observation of a version (a read showing
 * it with a value, a cas that matched it) must agree with the write it belongs to and with the
 * other observations. The first disagreement is a violation.
 *
 * <p>The owners found here also narrow the search: a version that belongs to an acknowledged
 * write cannot be the hidden version of an info write (RegisterModel).
 */
final class Versions {
    /** The write a version belongs to, as far as the history shows: acknowledged, or seen by a read. */
    record Owner(String key, String value, boolean acked, Op op) {}

    private final Map<Long, Owner> owners = new HashMap<>();
    private Violation conflict;

    private Versions() {}

    static Versions of(List<Op> history) {
        Versions v = new Versions();
        for (Op op : history) {
            long version = op.writtenVersion();
            if (version > 0) v.claim(version, new Owner(op.key(), written(op), true, op), "two acknowledged writes got version " + version);
        }
        for (Op op : history) {
            if (op.outcome() instanceof Outcome.Value r && r.version() > 0) {
                v.claim(r.version(), new Owner(op.key(), r.value(), false, op), "read version " + r.version() + " with another key or value than");
            }
        }
        for (Op op : history) {
            if (op.call() instanceof Call.Cas c && op.outcome() instanceof Outcome.Ok) {
                Owner o = v.owners.get(c.expectedVersion());
                if (o != null && !o.key().equals(op.key())) {
                    v.report(op, o, "cas matched version " + c.expectedVersion() + ", which belongs to a write of another key");
                }
            }
        }
        return v;
    }

    private void claim(long version, Owner claimant, String reason) {
        Owner first = owners.putIfAbsent(version, claimant);
        if (first == null) return;
        boolean agree = !claimant.acked() && first.key().equals(claimant.key()) && first.value().equals(claimant.value());
        if (!agree) report(claimant.op(), first, reason + (claimant.acked() ? "" : " " + (first.acked() ? "its acknowledged write" : "another read")));
    }

    private void report(Op op, Owner first, String reason) {
        if (conflict != null) return;
        conflict = new Violation(op.key(), reason + "; versions are unique across the store", List.of(), null, op,
                List.of(new Violation.Candidate(first.op(), first.acked() ? "the acknowledged write" : "the first read of it")));
    }

    /** The first disagreement about a version, in history order. */
    Optional<Violation> conflict() {
        return Optional.ofNullable(conflict);
    }

    /** The write {@code version} belongs to, as far as the history shows; null if nothing shows it. */
    Owner owner(long version) {
        return owners.get(version);
    }

    private static String written(Op write) {
        return write.call() instanceof Call.Set s ? s.value() : ((Call.Cas) write.call()).value();
    }
}
