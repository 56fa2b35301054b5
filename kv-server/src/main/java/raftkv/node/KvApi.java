package raftkv.node;

import java.util.concurrent.CompletableFuture;

/**
 * The one key-value service behind both front doors: the text gateway and the gRPC API
 * translate their requests to {@link KvRequest} and the {@link KvResult} back, so the
 * semantics (linearizable reads, forwarding, timeouts, at-most-once retries) are written once.
 *
 * <p>Implementations never complete the future exceptionally: every failure is a
 * {@link KvResult}. They complete it on a thread of their own; callers must not block it.
 */
public interface KvApi {
    CompletableFuture<KvResult> execute(KvRequest request);
}
