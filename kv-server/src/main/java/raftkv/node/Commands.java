package raftkv.node;

import raftkv.kv.ApplyResult;
import raftkv.kv.Command;

/** Translates between the service's requests and results and the state machine's commands and results. */
final class Commands {
    private Commands() {}

    static Command toCommand(KvRequest request) {
        if (request instanceof KvRequest.Set s) {
            return new Command.Set(s.key(), s.value(), s.ttlSeconds(), s.requestId());
        } else if (request instanceof KvRequest.Cas c) {
            return new Command.Cas(c.key(), c.expectedVersion(), c.value(), c.ttlSeconds(), c.requestId());
        } else if (request instanceof KvRequest.Delete d) {
            return new Command.Delete(d.key(), d.requestId());
        }
        throw new IllegalArgumentException("not a write: " + request.getClass().getSimpleName());
    }

    static KvResult toKvResult(ApplyResult result) {
        if (result instanceof ApplyResult.Written w) return new KvResult.Written(w.version());
        if (result instanceof ApplyResult.Deleted) return new KvResult.Deleted();
        if (result instanceof ApplyResult.NotFound) return new KvResult.NotFound();
        if (result instanceof ApplyResult.VersionMismatch) return new KvResult.VersionMismatch();
        if (result instanceof ApplyResult.StaleRequest) return new KvResult.StaleRequest();
        if (result instanceof ApplyResult.NoSpace) return new KvResult.NoSpace();
        if (result instanceof ApplyResult.RequestIdReused) return KvResult.requestIdReused();
        return new KvResult.Internal("unexpected apply result " + result);
    }
}
