package raftkv.gateway;

/**
 * Limits of the text gateway: per connection, and for the server as a whole.
 *
 * @param maxValueBytes largest value a set/cas may announce; more is {@code ERR_TOO_LARGE}
 * @param maxLineBytes longest command line, its terminator not counted; more is {@code ERR_CMD_ERR}
 * @param maxPendingCommands commands decoded but not yet answered; at this many the connection
 *     stops reading until half of them are answered, so a client that pipelines without reading
 *     cannot make the server buffer without bound
 * @param maxPendingBytes the same for the bytes of values in flight and of replies not yet written
 *     (one command is always admitted, whatever its size)
 * @param maxConnections open connections; one more gets {@code ERR_SERVER_BUSY} and is closed
 * @param maxBufferedBytes bytes of values still arriving, summed over all connections; a connection
 *     whose unfinished value would take the sum past it gets {@code ERR_SERVER_BUSY} (after the
 *     replies it is owed) and is closed
 */
public record GatewayLimits(int maxValueBytes, int maxLineBytes, int maxPendingCommands, long maxPendingBytes,
                            int maxConnections, long maxBufferedBytes) {
    public static final int DEFAULT_MAX_PENDING_COMMANDS = 1024;
    public static final long DEFAULT_MAX_PENDING_BYTES = 16L * 1024 * 1024;

    public GatewayLimits {
        if (maxValueBytes < 0 || maxLineBytes < 1 || maxPendingCommands < 1 || maxPendingBytes < 1
                || maxConnections < 1 || maxBufferedBytes < 1) {
            throw new IllegalArgumentException("bad gateway limits: maxValueBytes=" + maxValueBytes
                    + " maxLineBytes=" + maxLineBytes + " maxPendingCommands=" + maxPendingCommands
                    + " maxPendingBytes=" + maxPendingBytes + " maxConnections=" + maxConnections
                    + " maxBufferedBytes=" + maxBufferedBytes);
        }
    }

    /** The defaults, with the configured value size limit. */
    public static GatewayLimits defaults(int maxValueBytes) {
        return of(maxValueBytes, raftkv.config.Limits.DEFAULTS);
    }

    /** The defaults, with the configured value size limit and server-wide limits. */
    public static GatewayLimits of(int maxValueBytes, raftkv.config.Limits limits) {
        return new GatewayLimits(maxValueBytes, TextDecoder.DEFAULT_MAX_LINE_BYTES,
                DEFAULT_MAX_PENDING_COMMANDS, DEFAULT_MAX_PENDING_BYTES, limits.maxConnections(), limits.textBufferBytes());
    }
}
