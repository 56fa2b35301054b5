package raftkv.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this process has received SIGTERM, known from the signal's own context (a small native
 * handler, {@code src/main/c/raftkv_signal.c}, installed in front of the JVM's), not only once the
 * JVM gets round to running the Java handler. The node reads it before each reply to a peer, so a
 * node that was sent SIGTERM acknowledges nothing more, however late the JVM dispatches the signal
 * (SPEC 2; the original tester stops a node and at once asks for a read that must then find no
 * quorum).
 *
 * <p>The library is built with the C compiler when the build finds one (Linux, x86_64) and carried
 * in the jar. Where it is missing or cannot load, {@link #received()} stays false and the Java
 * handler alone stops the node, as before.
 */
public final class SignalFlag {
    private static final Logger log = LoggerFactory.getLogger(SignalFlag.class);
    private static final String LIBRARY = "/native/linux-x86_64/libraftkv_signal.so";
    private static volatile boolean installed;

    private SignalFlag() {}

    /**
     * Installs the native handler in front of the JVM's SIGTERM handler; call after the Java
     * handler is registered. Returns whether it is installed.
     */
    public static synchronized boolean install() {
        if (installed) return true;
        if (!System.getProperty("os.name", "").startsWith("Linux") || !System.getProperty("os.arch", "").equals("amd64")) {
            return false;
        }
        try (InputStream in = SignalFlag.class.getResourceAsStream(LIBRARY)) {
            if (in == null) return false;
            Path copy = Files.createTempFile("raftkv-signal-", ".so");
            try {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
                System.load(copy.toAbsolutePath().toString());
            } finally {
                Files.deleteIfExists(copy); // mapped already: the file is not needed once loaded
            }
            installed = installHandler();
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            log.debug("SIGTERM flag library not loaded: {}", e.toString());
            installed = false;
        }
        return installed;
    }

    /** True once SIGTERM has reached this process (after {@link #install}); any thread. */
    public static boolean termReceived() {
        return installed && received();
    }

    private static native boolean installHandler();

    private static native boolean received();
}
