package raftkv.jepsen;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One chaos run's settings.
 *
 * @param duration          how long clients and nemesis run (the run takes longer: start, heal, check)
 * @param seed              drives the fault schedule and the clients' choices
 * @param nodes             cluster size
 * @param clients           concurrent clients
 * @param keys              size of the keyspace ({@code k0 .. k<keys-1>})
 * @param requestTimeoutMs  the cluster's requestTimeoutMs; clients wait two seconds more for an answer
 * @param electionTimeoutMs the cluster's electionTimeoutMs; heartbeats come ten times as often
 * @param maxThinkMs        each client waits 0..maxThinkMs between its operations
 * @param dir               where config, data and node logs go; null: a new temporary folder
 * @param keepData          keep {@code dir} after a successful run (a failed run always keeps it)
 * @param membership        the faults also change the membership (replace a voter: remove it, wipe it,
 *                          add a spare machine under a new id as a learner, promote it)
 */
record ChaosOptions(Duration duration, long seed, int nodes, int clients, int keys, int requestTimeoutMs,
                    int electionTimeoutMs, int maxThinkMs, Path dir, boolean keepData, boolean membership) {
    static final int DEFAULT_NODES = 5;
    static final int DEFAULT_CLIENTS = 10;
    static final int DEFAULT_KEYS = 8;
    static final int DEFAULT_REQUEST_TIMEOUT_MS = 3000;
    static final int DEFAULT_ELECTION_TIMEOUT_MS = 1000;
    static final int DEFAULT_MAX_THINK_MS = 20;
    /**
     * The cluster's snapshotEntries: small, so that snapshots, log compaction and InstallSnapshot
     * to nodes that were down or cut off all happen under the faults, not only replication.
     */
    static final int SNAPSHOT_ENTRIES = 200;

    ChaosOptions {
        if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("duration must be positive");
        if (nodes < 1 || clients < 1 || keys < 1) throw new IllegalArgumentException("nodes, clients and keys must be >= 1");
        if (requestTimeoutMs < 100 || electionTimeoutMs < 100 || maxThinkMs < 0) throw new IllegalArgumentException("bad timings");
    }

    static ChaosOptions defaults(Duration duration, long seed) {
        return new ChaosOptions(duration, seed, DEFAULT_NODES, DEFAULT_CLIENTS, DEFAULT_KEYS, DEFAULT_REQUEST_TIMEOUT_MS,
                DEFAULT_ELECTION_TIMEOUT_MS, DEFAULT_MAX_THINK_MS, null, false, false);
    }

    ChaosOptions withCluster(int nodes, int electionTimeoutMs) {
        return new ChaosOptions(duration, seed, nodes, clients, keys, requestTimeoutMs, electionTimeoutMs, maxThinkMs, dir,
                keepData, membership);
    }

    ChaosOptions withWorkload(int clients, int keys) {
        return new ChaosOptions(duration, seed, nodes, clients, keys, requestTimeoutMs, electionTimeoutMs, maxThinkMs, dir,
                keepData, membership);
    }

    ChaosOptions withDir(Path d, boolean keep) {
        return new ChaosOptions(duration, seed, nodes, clients, keys, requestTimeoutMs, electionTimeoutMs, maxThinkMs, d, keep,
                membership);
    }

    ChaosOptions withMembership(boolean on) {
        return new ChaosOptions(duration, seed, nodes, clients, keys, requestTimeoutMs, electionTimeoutMs, maxThinkMs, dir,
                keepData, on);
    }

    /** The heartbeat interval that goes with the election timeout. */
    int heartbeatMs() {
        return Math.max(10, electionTimeoutMs / 10);
    }

    /** How long a client waits for any one answer: past the cluster's own timeout, so its answer can arrive. */
    int clientTimeoutMs() {
        return requestTimeoutMs + 2000;
    }
}
