package raftkv.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the version Maven stamped into version.properties at build time. */
public final class VersionProvider implements IVersionProvider {
    /** The build's version, or "unknown" when run from classes Maven did not filter. */
    public static String version() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {"kvctl " + version() + " (raftkv; Java " + Runtime.version() + ")"};
    }
}
