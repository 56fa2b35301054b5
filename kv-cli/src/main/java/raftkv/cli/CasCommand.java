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

/** {@code kvctl cas KEY VERSION VALUE|--file PATH [--ttl SECONDS]}. */
@Command(name = "cas", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Replace the value of KEY if the key is still at VERSION.",
                "Compare-and-set. Prints OK and the key's new version. Exits with 3 if the key is at another "
                        + "version (nothing is written), with 1 if the key does not exist: cas never creates a key. "
                        + "With --output json: {\"key\", \"version\", \"previous_version\", \"ttl\", \"size\"}."},
        footer = {"", "Examples:",
                "  kvctl getm counter            # version 42",
                "  kvctl cas counter 42 43",
                "  kvctl cas config 42 --file config.yaml --ttl 3600"})
final class CasCommand implements Callable<Integer> {
    @ParentCommand
    KvCtl kvctl;

    @Mixin
    EndpointOptions options;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key to replace; it must exist.")
    String key;

    @Parameters(index = "1", paramLabel = "VERSION", description = "The version the key must be at now (from set, getm or cas).")
    long version;

    @Parameters(index = "2", arity = "0..1", paramLabel = "VALUE", description = "The new value, as text (UTF-8). Or use --file.")
    String value;

    @Option(names = {"-f", "--file"}, paramLabel = "PATH",
            description = "Read the new value's bytes from a file, or from stdin with -.")
    String file;

    @Option(names = "--ttl", paramLabel = "SECONDS", defaultValue = "0",
            description = "Expire the key this many seconds from now; 0, the default, means never.")
    long ttl;

    @Override
    public Integer call() {
        ByteString k = KeyArgs.key(key);
        if (version <= 0) throw new UsageException("VERSION must be a positive version number, got " + version);
        ByteString v = KeyArgs.value(value, file, kvctl.env(), options.maxMessageBytes());
        long ttlSeconds = KeyArgs.ttl(ttl);
        long newVersion;
        try (KvClient client = kvctl.connect(options)) {
            newVersion = client.cas(k, version, v, ttlSeconds);
        }
        Output out = kvctl.output();
        if (options.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("key", key);
            json.put("version", newVersion);
            json.put("previous_version", version);
            json.put("ttl", ttlSeconds);
            json.put("size", v.size());
            out.json(json);
        } else {
            out.line("OK " + newVersion);
        }
        return ExitCodes.OK;
    }
}
