/*
 * SIGTERM noticed in the signal's own context (SPEC 2: from the moment the signal handler runs, a
 * node answers no vote, append or heartbeat). The JVM runs a Java signal handler only after its
 * Signal Dispatcher thread wakes and starts a thread for it, which on a busy machine can be after
 * the node has acknowledged one more heartbeat. This handler, installed in front of the JVM's,
 * sets a flag the node reads before each reply to a peer, then hands the signal on to the JVM's
 * handler, so the Java handler still runs and stops the node gracefully.
 */
#include <jni.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t term_received = 0;
static struct sigaction jvm_action;

static void on_term(int sig, siginfo_t *info, void *context) {
    term_received = 1;
    if (jvm_action.sa_flags & SA_SIGINFO) {
        if (jvm_action.sa_sigaction != NULL) jvm_action.sa_sigaction(sig, info, context);
    } else if (jvm_action.sa_handler != SIG_IGN && jvm_action.sa_handler != SIG_DFL) {
        jvm_action.sa_handler(sig);
    }
}

/* Installs the handler in front of the one SIGTERM has now (the JVM's); false if it cannot. */
JNIEXPORT jboolean JNICALL Java_raftkv_server_SignalFlag_installHandler(JNIEnv *env, jclass cls) {
    struct sigaction current;
    if (sigaction(SIGTERM, NULL, &current) != 0) return JNI_FALSE;
    /* Without a handler of the JVM's to hand the signal to, SIGTERM would be swallowed: leave it be. */
    if (!(current.sa_flags & SA_SIGINFO) && (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN)) {
        return JNI_FALSE;
    }
    jvm_action = current;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_term;
    action.sa_mask = current.sa_mask;
    action.sa_flags = current.sa_flags | SA_SIGINFO;
    return sigaction(SIGTERM, &action, NULL) == 0 ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jboolean JNICALL Java_raftkv_server_SignalFlag_received(JNIEnv *env, jclass cls) {
    return term_received ? JNI_TRUE : JNI_FALSE;
}
