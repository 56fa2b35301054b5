package raftkv.gateway;

/**
 * One item that {@link TextDecoder} produced from the byte stream: a whole command, or the error
 * for a malformed one. Items come out in the order their bytes arrived; each needs exactly one
 * reply slot, sent unless {@link #noreply()}.
 */
public sealed interface Decoded permits TextCommand, DecodeError {
    /** True if the client asked for no reply: nothing is sent for this item, errors included. */
    boolean noreply();
}
