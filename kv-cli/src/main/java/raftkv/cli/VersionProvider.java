package raftkv.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version}: the version and git commit Maven stamped into version.properties at build
 * time. kv-server prints the same two values (its own copy of the file, made by the same build).
 */
public final class VersionProvider implements IVersionProvider {
    /** The build's version, or "unknown" when run from classes Maven did not filter. */
    public static String version() {
        return property("version");
    }

    /** The git commit the build was made from, or "unknown" (built outside a git checkout). */
    public static String commit() {
        return property("commit");
    }

    private static String property(String name) {
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
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
        return new String[] {"kvctl " + version() + " (commit " + commit() + "; raftkv; Java " + Runtime.version() + ")"};
    }
}
