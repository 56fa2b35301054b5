package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes on the command line: exit 2, one line on stderr, nothing on stdout, nothing sent. */
class UsageErrorsTest {
    @TempDir
    Path dir;

    private FakeKeyValue node;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        node = FakeKeyValue.start();
        cli = new Cli(dir).env(EndpointOptions.ENV_ENDPOINTS, node.endpoint());
    }

    @AfterEach
    void stop() throws Exception {
        assertEquals(0, node.calls(), "a usage error sends nothing");
        node.close();
    }

    private void usage(String fragment, String... args) {
        CommandsTest.assertFails(ExitCodes.USAGE, cli.run(args), fragment);
    }

    @Test
    void picocliParseErrorsAreOneLineWithAPointerToHelp() {
        usage("Unknown option: '--bogus' (see 'kvctl get --help')", "get", "k", "--bogus");
        usage("Missing required parameter: 'KEY'", "get");
        usage("Unmatched argument", "get", "a", "b");
        usage("Unmatched argument", "frobnicate");
        usage("Invalid value for option '--output'", "get", "k", "--output", "yaml");
        usage("Invalid value for option '--ttl'", "set", "k", "v", "--ttl", "soon");
        usage("(VERSION): 'seven' is not a long", "cas", "k", "seven", "v");
        usage("mutually exclusive", "bench", "--duration", "1", "--ops", "10");
    }

    @Test
    void noCommandIsAUsageError() {
        usage("missing a command", new String[0]);
    }

    @Test
    void badKeysAreRejectedBeforeAnythingIsSent() {
        usage("control characters and spaces are not allowed", "get", "a b");
        usage("over the limit of 250", "set", "k".repeat(251), "v");
        usage("the key is empty", "get", "");
        usage("0x09", "delete", "tab\there");
    }

    @Test
    void theValueComesFromExactlyOnePlace() {
        usage("missing the value", "set", "k");
        usage("not both", "set", "k", "v", "--file", "x");
        usage("missing the value", "cas", "k", "1");
    }

    @Test
    void numbersOutOfRange() {
        usage("--ttl must be", "set", "k", "v", "--ttl", "4294967296");
        usage("--ttl must be", "set", "k", "v", "--ttl", "-1");
        usage("VERSION must be a positive", "cas", "k", "0", "v");
        usage("--timeout must be", "get", "k", "--timeout", "0");
        usage("--write-ratio must be 0 to 1", "bench", "--write-ratio", "1.5");
        usage("--clients must be", "bench", "--clients", "0");
        usage("--ops must be", "bench", "--ops", "0");
    }

    @Test
    void badEndpointsFlag() {
        usage("--endpoints: \"nohostport\" is not host:port", "get", "k", "--endpoints", "nohostport");
        usage("--endpoints", "get", "k", "--endpoints", "h:99999");
    }
}
