package org.fedpeft.cli;

import java.time.Duration;
import org.fedpeft.grpc.ClientNode;
import picocli.CommandLine.Option;

/**
 * The option of {@code client} and {@code node} that bounds how long a client waits between its
 * attempts to connect: the longest delay of its {@link ClientNode.Backoff} (the first delay and the
 * doubling are those of {@link ClientNode.Backoff#defaults()}).
 */
final class ReconnectOption {

  /** The option's name, as its errors give it. */
  static final String NAME = "--reconnect-max-seconds";

  @Option(
      names = NAME,
      paramLabel = "S",
      defaultValue = "" + ClientNode.Backoff.DEFAULT_MAX_SECONDS,
      description =
          "The longest wait, in whole seconds, between two attempts to connect: after a server"
              + " restart or a lost connection a client tries again after 0.5 s, doubling the wait"
              + " up to S (at least 1; default: ${DEFAULT-VALUE}). A smaller S brings clients back sooner"
              + " after 'server --resume' (on a LAN, say), at the cost of more attempts while the"
              + " server is down.")
  long maxSeconds;

  /**
   * The clients' backoff: {@link ClientNode.Backoff#defaults()} with its longest delay set to
   * {@link #maxSeconds}.
   *
   * @throws UserInputException naming the option if the value is below 1 (one second is above the
   *     first delay, so the backoff's own check of that never fails here)
   */
  ClientNode.Backoff backoff() {
    ClientNode.Backoff defaults = ClientNode.Backoff.defaults();
    if (maxSeconds < 1) {
      throw new UserInputException(
          NAME
              + " must be at least 1 (whole seconds, not below a client's first wait of "
              + defaults.initial().toMillis() / 1000.0
              + " s), got "
              + maxSeconds);
    }
    return defaults.withMax(Duration.ofSeconds(maxSeconds));
  }
}
