package raftkv.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static raftkv.gateway.Bytes.bs;
import static raftkv.gateway.Bytes.text;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import raftkv.node.KvResult;

/** Each KvResult, and each decode error, to the exact reply bytes of SPEC 4. */
class TextRepliesTest {
    static final TextCommand SET = new TextCommand.Set(bs("k"), 0, bs("v"), false);
    static final TextCommand CAS = new TextCommand.Cas(bs("k"), 0, 3, bs("v"), false);
    static final TextCommand GET = new TextCommand.Get(bs("k"));
    static final TextCommand GETM = new TextCommand.GetMeta(bs("k"));
    static final TextCommand DELETE = new TextCommand.Delete(bs("k"));

    static String reply(TextCommand command, KvResult result) {
        return text(TextReplies.reply(command, result));
    }

    @Test
    void written() {
        assertEquals("OK 42\r\n", reply(SET, new KvResult.Written(42)));
        assertEquals("OK 9223372036854775807\r\n", reply(CAS, new KvResult.Written(Long.MAX_VALUE)));
    }

    @Test
    void aFullStoreIsErrNoSpaceAndAReusedRequestIdAnInvalidCommand() {
        assertEquals("ERR_NO_SPACE\r\n", reply(SET, new KvResult.NoSpace()));
        assertEquals("ERR_NO_SPACE\r\n", reply(CAS, new KvResult.NoSpace()));
        assertEquals("ERR_CMD_ERR\r\n", reply(SET, new KvResult.Invalid("request id already used for a different command", false)));
    }

    @Test
    void foundForGetShowsSizeAndValue() {
        assertEquals("VALUE 5\r\nhello\r\n", reply(GET, new KvResult.Found(bs("hello"), 7, 300)));
        assertEquals("VALUE 0\r\n\r\n", reply(GET, new KvResult.Found(ByteString.EMPTY, 7, 0)));
    }

    @Test
    void foundForGetmShowsVersionExptimeSizeAndValue() {
        assertEquals("VALUE 7 300 5\r\nhello\r\n", reply(GETM, new KvResult.Found(bs("hello"), 7, 300)));
        assertEquals("VALUE 8 0 0\r\n\r\n", reply(GETM, new KvResult.Found(ByteString.EMPTY, 8, 0)));
    }

    @Test
    void binaryValueIsSentAsIs() {
        String value = "a\r\n\0\u00ff\r\nb";
        assertEquals("VALUE 8\r\n" + value + "\r\n", reply(GET, new KvResult.Found(bs(value), 1, 0)));
    }

    @Test
    void deleted() {
        assertEquals("DELETED\r\n", reply(DELETE, new KvResult.Deleted()));
    }

    @Test
    void expectedFailures() {
        for (TextCommand command : new TextCommand[] {SET, CAS, GET, GETM, DELETE}) {
            assertEquals("ERR_NOT_FOUND\r\n", reply(command, new KvResult.NotFound()));
            assertEquals("ERR_VERSION\r\n", reply(command, new KvResult.VersionMismatch()));
            assertEquals("ERR_REDIRECT 10.0.0.2:8001\r\n",
                    reply(command, new KvResult.Redirect("10.0.0.2:8001", "10.0.0.2:9001")));
            assertEquals("ERR_TIMEOUT\r\n", reply(command, new KvResult.Unavailable("no quorum", null)));
            assertEquals("ERR_CMD_ERR\r\n", reply(command, new KvResult.Invalid("bad key", false)));
            assertEquals("ERR_TOO_LARGE\r\n", reply(command, new KvResult.Invalid("too big", true)));
            assertEquals("ERR_INTERNAL\r\n", reply(command, new KvResult.Internal("disk")));
            assertEquals("ERR_INTERNAL\r\n", reply(command, new KvResult.StaleRequest()));
        }
    }

    @Test
    void outcomesThatDoNotFitTheCommandAreInternalErrors() {
        assertEquals("ERR_INTERNAL\r\n", reply(GET, new KvResult.Written(1)));
        assertEquals("ERR_INTERNAL\r\n", reply(DELETE, new KvResult.Written(1)));
        assertEquals("ERR_INTERNAL\r\n", reply(SET, new KvResult.Found(bs("v"), 1, 0)));
        assertEquals("ERR_INTERNAL\r\n", reply(SET, new KvResult.Deleted()));
        assertEquals("ERR_INTERNAL\r\n", reply(GET, null));
    }

    @Test
    void redirectWithoutUsableAddressIsInternalError() {
        assertEquals("ERR_INTERNAL\r\n", reply(GET, new KvResult.Redirect(null, "h:9000")));
        assertEquals("ERR_INTERNAL\r\n", reply(GET, new KvResult.Redirect("", "h:9000")));
        assertEquals("ERR_INTERNAL\r\n", reply(GET, new KvResult.Redirect("h:80\r\nOK 1", "h:9000")));
    }

    @Test
    void decodeErrors() {
        assertEquals("ERR_CMD_ERR\r\n", text(TextReplies.error(DecodeError.cmdErr(false, "x"))));
        assertEquals("ERR_TOO_LARGE\r\n",
                text(TextReplies.error(new DecodeError(DecodeError.Kind.TOO_LARGE, false, "x"))));
    }
}
