package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kvctl delete KEY}. */
@Command(name = "delete", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Remove KEY.",
                "Prints DELETED; exits with 1 if the key does not exist. With --output json: {\"key\", \"deleted\"}."},
        footer = {"", "Example:", "  kvctl delete greeting"})
final class DeleteCommand implements Callable<Integer> {
    @ParentCommand
    KvCtl kvctl;

    @Mixin
    EndpointOptions options;

    @Parameters(index = "0", paramLabel = "KEY", description = "The key to remove.")
    String key;

    @Override
    public Integer call() {
        ByteString k = KeyArgs.key(key);
        try (KvClient client = kvctl.connect(options)) {
            client.delete(k);
        }
        Output out = kvctl.output();
        if (options.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("key", key);
            json.put("deleted", true);
            out.json(json);
        } else {
            out.line("DELETED");
        }
        return ExitCodes.OK;
    }
}
