package raftkv.jepsen;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A direct account of acknowledged writes against the final reads, for the report: an
 * acknowledged set or cas of version v on key k is lost if the final read of k shows a version
 * below v (versions only grow, so nothing after it can explain that), or shows k absent with no
 * delete that could have come after it. The linearizability check covers all of this and more;
 * this names the lost writes plainly.
 */
final class AckAudit {
    /** Acknowledged writes (ok set/cas, deleted) and those the final state cannot account for. */
    record Result(int acknowledged, List<Op> lost) {}

    private AckAudit() {}

    /** @param finalReads the final read of each key: an op whose outcome is a value or not-found */
    static Result audit(List<Op> history, Map<String, Op> finalReads) {
        Map<String, List<Op>> deletes = new HashMap<>();
        for (Op op : history) {
            if (op.call() instanceof Call.Delete && (op.outcome() instanceof Outcome.Deleted || op.isInfo())) {
                deletes.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            }
        }
        int acknowledged = 0;
        List<Op> lost = new ArrayList<>();
        for (Op op : history) {
            if (op.outcome() instanceof Outcome.Deleted) acknowledged++;
            if (!(op.outcome() instanceof Outcome.Ok ok)) continue;
            acknowledged++;
            Op last = finalReads.get(op.key());
            if (last == null) continue; // no final read: reported separately
            if (last.outcome() instanceof Outcome.Value v) {
                if (v.version() < ok.version()) lost.add(op);
            } else if (last.outcome() instanceof Outcome.NotFound) {
                boolean explained = deletes.getOrDefault(op.key(), List.of()).stream()
                        .anyMatch(d -> d.isInfo() || d.complete() > op.invoke());
                if (!explained) lost.add(op);
            }
        }
        return new Result(acknowledged, lost);
    }
}
