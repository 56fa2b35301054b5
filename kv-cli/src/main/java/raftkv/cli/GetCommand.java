package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import raftkv.proto.kv.GetResponse;

/** {@code kvctl get KEY}: the value's bytes on stdout. */
@Command(name = "get", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Print the value of KEY.",
                "The value's bytes go to stdout exactly as stored. When stdout is a terminal and the value "
                        + "does not end with a newline, one is added so that the prompt starts on a line of its own; "
                        + "when stdout is a pipe or a file, nothing is added.",
                "With --output json: {\"key\", \"version\", \"encoding\", \"value\"}, where encoding is "
                        + "\"utf-8\" (value is the text) or \"base64\" (the value's bytes are not valid UTF-8).",
                "A missing or expired key exits with 1."},
        footer = {"", "Examples:",
                "  kvctl get greeting",
                "  kvctl get photo > cat.jpg",
                "  kvctl get greeting -o json | jq -r .value"})
final class GetCommand implements Callable<Integer> {
    @ParentCommand
    KvCtl kvctl;

    @Mixin
    EndpointOptions options;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key to read.")
    String key;

    @Override
    public Integer call() {
        ByteString k = KeyArgs.key(key);
        GetResponse r;
        try (KvClient client = kvctl.connect(options)) {
            r = client.get(k);
        }
        Output out = kvctl.output();
        if (options.json()) {
            out.json(valueJson(key, r.getVersion(), r.getValue()));
        } else {
            ByteString v = r.getValue();
            boolean addNewline = kvctl.env().interactive() && (v.isEmpty() || v.byteAt(v.size() - 1) != '\n');
            out.bytes(addNewline ? v.concat(ByteString.copyFromUtf8("\n")).toByteArray() : v.toByteArray());
        }
        return ExitCodes.OK;
    }

    static Map<String, Object> valueJson(String key, long version, ByteString value) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("key", key);
        json.put("version", version);
        boolean text = value.isValidUtf8();
        json.put("encoding", text ? "utf-8" : "base64");
        json.put("value", text ? value.toStringUtf8() : Base64.getEncoder().encodeToString(value.toByteArray()));
        return json;
    }
}
