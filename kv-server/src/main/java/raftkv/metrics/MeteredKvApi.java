package raftkv.metrics;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import raftkv.node.KvApi;
import raftkv.node.KvRequest;
import raftkv.node.KvResult;

/**
 * A front door's view of {@link KvApi} that counts and times each request by operation and
 * outcome: {@code op} is the request kind (set, cas, delete, get, getmeta), {@code outcome} the
 * result kind in capitals (WRITTEN, FOUND, NOT_FOUND, UNAVAILABLE, ...).
 */
public final class MeteredKvApi implements KvApi {
    private final KvApi api;
    private final NodeMetrics metrics;
    private final String protocol;

    public MeteredKvApi(KvApi api, NodeMetrics metrics, String protocol) {
        this.api = api;
        this.metrics = metrics;
        this.protocol = protocol;
    }

    @Override
    public CompletableFuture<KvResult> execute(KvRequest request) {
        long start = System.nanoTime();
        String op = request.getClass().getSimpleName().toLowerCase(Locale.ROOT);
        return api.execute(request).whenComplete((result, error) ->
                metrics.clientRequest(protocol, op, error != null ? "ERROR" : outcome(result), System.nanoTime() - start));
    }

    /** NotFound -> NOT_FOUND. */
    static String outcome(KvResult result) {
        return result.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }
}
