package raftkv.config;

import raftkv.kv.KvLimits;

/**
 * The limits of config.json (SPEC section 11): what a careless or hostile client can make a node
 * hold. Each bound, when hit, is an error to that client, never a crash of the node.
 *
 * @param quotaBytes      the most the store may hold (keys, values and a fixed overhead per key,
 *                        {@code raftkv.kv.KvLimits#entryBytes}); past it, writes that add data get
 *                        ERR_NO_SPACE / RESOURCE_EXHAUSTED. Decided while applying the log, so it
 *                        must be the same on every node, as the server list is
 * @param maxSessions     the most client ids the exactly-once table remembers (least recently used
 *                        forgotten first); replicated state, so the same on every node too
 * @param maxConnections  open connections per front door (text gateway, gRPC): over it a text
 *                        connection gets one ERR_SERVER_BUSY line and is closed, and a gRPC one is
 *                        refused every call with UNAVAILABLE until it closes
 * @param textBufferBytes bytes of unfinished text commands (values still arriving) held across all
 *                        connections (default 128 MiB, or maxValueBytes if larger; never below it);
 *                        a connection whose command would take the total past it gets
 *                        ERR_SERVER_BUSY and is closed
 * @param inflightBytes   bytes of client commands (keys and values) a node holds at once, queued,
 *                        proposed and not yet committed, or read and not yet answered (default
 *                        64 MiB, or maxValueBytes if larger; never below it); a command beyond it
 *                        waits, and is retried after a pause until the request timeout
 * @param catchUpLogBytes bytes of log entries a node keeps in memory below its newest snapshot for
 *                        followers a little behind (default 64 MiB); besides, never more than
 *                        5,000 entries
 * @param diskReserveBytes the fixed part of the disk reserve (default 4 MiB): sets and cas are
 *                        refused with ERR_NO_SPACE / RESOURCE_EXHAUSTED while the free space
 *                        under the data folder is below it plus the next snapshot (the live data)
 *                        plus the log written before that snapshot starts
 */
public record Limits(long quotaBytes, int maxSessions, int maxConnections, long textBufferBytes, long inflightBytes,
                     long catchUpLogBytes, long diskReserveBytes) {
    public static final long DEFAULT_QUOTA_BYTES = KvLimits.DEFAULT_QUOTA_BYTES;
    public static final int DEFAULT_MAX_SESSIONS = KvLimits.DEFAULT_MAX_SESSIONS;
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final long DEFAULT_TEXT_BUFFER_BYTES = 128L << 20;
    public static final long DEFAULT_INFLIGHT_BYTES = 64L << 20;
    public static final long DEFAULT_CATCH_UP_LOG_BYTES = 64L << 20;
    public static final long DEFAULT_DISK_RESERVE_BYTES = 4L << 20;

    /**
     * The largest maxValueBytes: a value travels in one log record, which the write-ahead log
     * refuses over 256 MiB ({@code raftkv.wal.RecordCodec.MAX_LENGTH}); 1 MiB is left for the key,
     * the command's fields and the record's framing.
     */
    public static final int MAX_VALUE_BYTES_CAP = (256 << 20) - (1 << 20);

    public static final Limits DEFAULTS = new Limits(DEFAULT_QUOTA_BYTES, DEFAULT_MAX_SESSIONS,
            DEFAULT_MAX_CONNECTIONS, DEFAULT_TEXT_BUFFER_BYTES, DEFAULT_INFLIGHT_BYTES, DEFAULT_CATCH_UP_LOG_BYTES,
            DEFAULT_DISK_RESERVE_BYTES);

    public Limits {
        if (quotaBytes < 1 || maxSessions < 1 || maxConnections < 1 || textBufferBytes < 1 || inflightBytes < 1
                || catchUpLogBytes < 1 || diskReserveBytes < 1) {
            throw new IllegalArgumentException("limits must be positive: " + quotaBytes + ", " + maxSessions + ", "
                    + maxConnections + ", " + textBufferBytes + ", " + inflightBytes + ", " + catchUpLogBytes + ", "
                    + diskReserveBytes);
        }
    }
}
