package raftkv.cli.bench;

/**
 * One closed-loop benchmark client: one operation at a time, on one thread. Operations never
 * throw for a failure of the cluster; they return it as a {@link BenchOutcome}.
 */
public interface BenchClient extends AutoCloseable {
    BenchOutcome set(String key, byte[] value);

    BenchOutcome get(String key);

    @Override
    void close();
}
