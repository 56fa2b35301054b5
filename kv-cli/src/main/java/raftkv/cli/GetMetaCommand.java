package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import raftkv.proto.kv.GetMetaResponse;

/** {@code kvctl getm KEY}: version, ttl, size. */
@Command(name = "getm", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Print the version, ttl and size of KEY.",
                "One field a line:",
                "  version  the key's current version: pass it to cas",
                "  ttl      seconds until the key expires, rounded up; 0 means never",
                "  size     the value's length in bytes",
                "With --output json: {\"key\", \"version\", \"ttl\", \"size\"}. A missing or expired key exits with 1."},
        footer = {"", "Example:", "  kvctl getm greeting"})
final class GetMetaCommand implements Callable<Integer> {
    @ParentCommand
    KvCtl kvctl;

    @Mixin
    EndpointOptions options;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key to read.")
    String key;

    @Override
    public Integer call() {
        ByteString k = KeyArgs.key(key);
        GetMetaResponse r;
        try (KvClient client = kvctl.connect(options)) {
            r = client.getMeta(k);
        }
        Output out = kvctl.output();
        if (options.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("key", key);
            json.put("version", r.getVersion());
            json.put("ttl", r.getTtlSeconds());
            json.put("size", r.getValueSize());
            out.json(json);
        } else {
            out.line("version " + r.getVersion());
            out.line("ttl     " + r.getTtlSeconds());
            out.line("size    " + r.getValueSize());
        }
        return ExitCodes.OK;
    }
}
