/**
 * Jepsen-style testing of the real cluster; so far its linearizability checker.
 *
 * <h2>Recording</h2>
 * {@link raftkv.jepsen.History} records from many client threads: {@code invoke(process, call)}
 * just before a command is sent, then {@code ok/value/notFound/versionMismatch/deleted} on a
 * definite reply, {@code fail} when the command certainly had no effect ({@code ERR_CMD_ERR}),
 * {@code info} when the outcome is unknown (timeout, lost connection, {@code ERR_TIMEOUT},
 * gRPC {@code UNAVAILABLE} or {@code DEADLINE_EXCEEDED} on a write). A process should be one
 * client with one command in flight; after an info it may go on under a new process id, as in
 * Jepsen, but the checker does not require it. {@link raftkv.jepsen.HistoryFile} saves a history
 * as JSON lines; {@code java -cp <test classpath> raftkv.jepsen.HistoryChecker FILE} checks one
 * again (exit 0 linearizable, 1 not, 3 unknown, 2 bad usage).
 *
 * <h2>What is checked</h2>
 * {@link raftkv.jepsen.HistoryChecker#check} decides whether some order of the operations,
 * each placed between its invocation and its completion, is legal for a register per key holding
 * (absent | value, version), where:
 * <ul>
 *   <li>an acknowledged write's version exceeds every version the key had before it (versions
 *       are unique across the store and only grow; a delete does not reset them);
 *   <li>a read returns exactly the value and version of the write it follows (a version of 0
 *       in a read means the reply shows none, as text {@code get});
 *   <li>a write with an info outcome takes effect at any time after its invocation, or never;
 *       its version is unknown until a read shows it; a read with an info outcome, and any
 *       failed operation, are ignored;
 *   <li>across keys, no two acknowledged writes share a version, and a version seen on one key
 *       (a read showing it, a cas matching it) belongs to no write of another key or value.
 * </ul>
 * Expiry is not modelled (the chaos workload writes with exptime 0). Each key is checked on its
 * own ({@link raftkv.jepsen.KeySearch}: Wing and Gong's search, Lowe's just-in-time linearization
 * and memoization, with pruning described there); the checks across keys do not include the
 * real-time order of versions of different keys. A time and step budget
 * ({@link raftkv.jepsen.Budget}) turns a search too long into UNKNOWN, never into a verdict.
 *
 * <h2>Explanations</h2>
 * {@link raftkv.jepsen.CheckResult#explain()} prints, for a violation, the longest prefix of the
 * failing key that could be linearized (its last operations), the register after it, and the
 * operations that could have come next, each with why it cannot, as a timeline.
 */
package raftkv.jepsen;
