package raftkv.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The version and git commit Maven stamped into version.properties at build time; kvctl prints
 * the same two values from its own copy. "unknown" where the build could not tell (classes Maven
 * did not filter, a build outside a git checkout).
 */
public final class BuildInfo implements IVersionProvider {
    public static String version() {
        return property("version");
    }

    public static String commit() {
        return property("commit");
    }

    private static String property(String name) {
        try (InputStream in = BuildInfo.class.getResourceAsStream("version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty(name, "unknown");
            return v.isBlank() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {"kv-server " + version() + " (commit " + commit() + "; raftkv; Java " + Runtime.version() + ")"};
    }
}
