package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kvctl set KEY VALUE|--file PATH [--ttl SECONDS]}. */
@Command(name = "set", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Store a value under KEY.",
                "Creates the key or replaces its value and expiry. Prints OK and the key's new version "
                        + "(the one cas expects). With --output json: {\"key\", \"version\", \"ttl\", \"size\"}."},
        footer = {"", "Examples:",
                "  kvctl set greeting hello",
                "  kvctl set session-42 active --ttl 300",
                "  kvctl set photo --file cat.jpg",
                "  printf 'a\\r\\nb' | kvctl set raw --file -"})
final class SetCommand implements Callable<Integer> {
    @ParentCommand
    KvCtl kvctl;

    @Mixin
    EndpointOptions options;

    @Parameters(index = "0", paramLabel = "KEY", description = "1 to 250 bytes (UTF-8), no spaces or control characters.")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "The value, as text (UTF-8). Or use --file.")
    String value;

    @Option(names = {"-f", "--file"}, paramLabel = "PATH",
            description = "Read the value's bytes from a file, or from stdin with -. Any bytes, as they are.")
    String file;

    @Option(names = "--ttl", paramLabel = "SECONDS", defaultValue = "0",
            description = "Expire the key this many seconds from now; 0, the default, means never.")
    long ttl;

    @Override
    public Integer call() {
        ByteString k = KeyArgs.key(key);
        ByteString v = KeyArgs.value(value, file, kvctl.env(), options.maxMessageBytes());
        long ttlSeconds = KeyArgs.ttl(ttl);
        long version;
        try (KvClient client = kvctl.connect(options)) {
            version = client.set(k, v, ttlSeconds);
        }
        Output out = kvctl.output();
        if (options.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("key", key);
            json.put("version", version);
            json.put("ttl", ttlSeconds);
            json.put("size", v.size());
            out.json(json);
        } else {
            out.line("OK " + version);
        }
        return ExitCodes.OK;
    }
}
