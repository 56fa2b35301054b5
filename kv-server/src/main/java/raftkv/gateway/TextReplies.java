package raftkv.gateway;

import com.google.protobuf.ByteString;
import raftkv.node.KvResult;

/**
 * The one place that turns outcomes into reply bytes of the text protocol (SPEC 4). Pure. Values
 * are not copied: a reply holding one is a rope around it.
 */
public final class TextReplies {
    public static final ByteString CRLF = ByteString.copyFromUtf8("\r\n");
    public static final ByteString DELETED = line("DELETED");
    public static final ByteString ERR_NOT_FOUND = line("ERR_NOT_FOUND");
    public static final ByteString ERR_VERSION = line("ERR_VERSION");
    public static final ByteString ERR_CMD_ERR = line("ERR_CMD_ERR");
    public static final ByteString ERR_TOO_LARGE = line("ERR_TOO_LARGE");
    public static final ByteString ERR_TIMEOUT = line("ERR_TIMEOUT");
    public static final ByteString ERR_NO_SPACE = line("ERR_NO_SPACE");
    public static final ByteString ERR_INTERNAL = line("ERR_INTERNAL");
    /** To a connection over maxConnections, or one whose unfinished command does not fit the gateway's buffer budget; then it is closed. */
    public static final ByteString ERR_SERVER_BUSY = line("ERR_SERVER_BUSY");

    private TextReplies() {}

    /** The error line for a malformed command. */
    public static ByteString error(DecodeError error) {
        return switch (error.kind()) {
            case CMD_ERR -> ERR_CMD_ERR;
            case TOO_LARGE -> ERR_TOO_LARGE;
        };
    }

    /**
     * The reply to {@code command} given its outcome. A success that does not fit the command
     * (say {@code Found} for a set) or a redirect without a usable address is a broken invariant
     * of the node, answered with {@code ERR_INTERNAL} rather than with a reply the client would
     * misread.
     */
    public static ByteString reply(TextCommand command, KvResult result) {
        // Java 17 has no pattern switch; every KvResult kind is named here.
        if (result instanceof KvResult.Written w) {
            return command instanceof TextCommand.Set || command instanceof TextCommand.Cas
                    ? line("OK " + w.version()) : ERR_INTERNAL;
        } else if (result instanceof KvResult.Deleted) {
            return command instanceof TextCommand.Delete ? DELETED : ERR_INTERNAL;
        } else if (result instanceof KvResult.Found f) {
            return found(command, f);
        } else if (result instanceof KvResult.NotFound) {
            return ERR_NOT_FOUND;
        } else if (result instanceof KvResult.VersionMismatch) {
            return ERR_VERSION;
        } else if (result instanceof KvResult.Redirect r) {
            return redirect(r.leaderClientAddress());
        } else if (result instanceof KvResult.Unavailable) {
            return ERR_TIMEOUT;
        } else if (result instanceof KvResult.NoSpace) {
            return ERR_NO_SPACE;
        } else if (result instanceof KvResult.Invalid i) {
            return i.tooLarge() ? ERR_TOO_LARGE : ERR_CMD_ERR;
        } else {
            // Internal, StaleRequest, and null (a broken KvApi contract).
            return ERR_INTERNAL;
        }
    }

    private static ByteString found(TextCommand command, KvResult.Found found) {
        ByteString value = found.value();
        if (command instanceof TextCommand.Get) {
            return line("VALUE " + value.size()).concat(value).concat(CRLF);
        }
        if (command instanceof TextCommand.GetMeta) {
            return line("VALUE " + found.version() + " " + found.ttlSeconds() + " " + value.size())
                    .concat(value).concat(CRLF);
        }
        return ERR_INTERNAL;
    }

    /** {@code ERR_REDIRECT host:clientport}; the address must be one token of printable ASCII. */
    private static ByteString redirect(String address) {
        if (address == null || address.isEmpty()) {
            return ERR_INTERNAL;
        }
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return ERR_INTERNAL;
            }
        }
        return line("ERR_REDIRECT " + address);
    }

    private static ByteString line(String text) {
        return ByteString.copyFromUtf8(text + "\r\n");
    }
}
