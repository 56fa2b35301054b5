package raftkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kvctl's TLS options (SPEC section 8): where the CA comes from, and the usage errors. */
class ClientTlsTest {
    @TempDir
    Path dir;

    private static final String CONFIG = """
            {"servers": [{"Id": 0, "Hostname": "127.0.0.1", "ClientPort": 1, "LogPort": 2}],
             "tls": {"caFile": "certs/ca.crt"}}
            """;

    @Test
    void theCaComesFromTheFlagThenTheVariableThenTheConfig() throws Exception {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        CliEnv env = CliEnv.of(System.in, System.out, System.err, java.util.Map.of("KVCTL_CACERT", "env-ca.pem"), dir);
        CliEnv noEnv = CliEnv.of(System.in, System.out, System.err, java.util.Map.of(), dir);
        Path config = dir.resolve("config.json");

        assertEquals(dir.resolve("flag.pem"), ClientTls.resolve(Path.of("flag.pem"), null, null, env, config).caFile());
        assertEquals(dir.resolve("env-ca.pem"), ClientTls.resolve(null, null, null, env, config).caFile());
        assertEquals(dir.resolve("certs/ca.crt"), ClientTls.resolve(null, null, null, noEnv, config).caFile());
        assertEquals(ClientTls.NONE, ClientTls.resolve(null, null, null, noEnv, null));
    }

    @Test
    void certAndKeyGoTogetherAndNeedACa() throws Exception {
        Cli cli = new Cli(dir);
        Cli.Result noKey = cli.run("get", "k", "--endpoints", "127.0.0.1:1", "--cacert", "ca.pem", "--cert", "c.pem");
        assertEquals(ExitCodes.USAGE, noKey.exit(), noKey.toString());
        assertEquals("kvctl: --cert needs its private key too (--key or KVCTL_KEY)", noKey.stderr().strip());

        Cli.Result noCa = cli.run("get", "k", "--endpoints", "127.0.0.1:1", "--cert", "c.pem", "--key", "k.pem");
        assertEquals(ExitCodes.USAGE, noCa.exit(), noCa.toString());
        assertEquals("kvctl: --cert is for TLS: give the cluster's CA too (--cacert, KVCTL_CACERT, or --config FILE whose "
                + "\"tls\" names it)", noCa.stderr().strip());

        java.nio.file.Files.writeString(dir.resolve("not-a-ca.pem"), "hello");
        Cli.Result notPem = cli.run("get", "k", "--endpoints", "127.0.0.1:1", "--cacert", "not-a-ca.pem");
        assertEquals(ExitCodes.USAGE, notPem.exit(), notPem.toString());
        assertEquals("kvctl: cannot use the TLS files (CA " + dir.resolve("not-a-ca.pem") + "): found no certificates in "
                + "input stream", notPem.stderr().strip());

        Cli.Result missing = cli.run("get", "k", "--endpoints", "127.0.0.1:1", "--cacert", "nope.pem");
        assertEquals(ExitCodes.USAGE, missing.exit(), missing.toString());
        assertEquals("kvctl: CA certificate " + dir.resolve("nope.pem") + ": no such file", missing.stderr().strip());
    }
}
