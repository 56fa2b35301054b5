package raftkv.gateway;

/**
 * A malformed command (SPEC 4). The decoder has already skipped whatever belonged to it, so the
 * next item starts in step.
 *
 * @param kind which error line the client gets
 * @param noreply the malformed command was a set or cas whose last token was {@code noreply}:
 *     the client gets nothing, not even the error
 * @param reason for logs and tests only; never sent to the client
 */
public record DecodeError(Kind kind, boolean noreply, String reason) implements Decoded {
    public enum Kind {
        /** {@code ERR_CMD_ERR}: unknown verb, bad token count, number, key, value length or line length. */
        CMD_ERR,
        /** {@code ERR_TOO_LARGE}: numbytes over the configured maximum; the value was skipped unread. */
        TOO_LARGE
    }

    static DecodeError cmdErr(boolean noreply, String reason) {
        return new DecodeError(Kind.CMD_ERR, noreply, reason);
    }
}
