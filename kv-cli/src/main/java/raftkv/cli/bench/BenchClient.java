package raftkv.cli.bench;

/**
 * One closed-loop benchmark client: one operation at a time, on one thread. Operations never
 * throw for a failure of the cluster; they return it as an {@link Outcome}.
 */
public interface BenchClient extends AutoCloseable {
    Outcome set(String key, byte[] value);

    Outcome get(String key);

    @Override
    void close();
}
