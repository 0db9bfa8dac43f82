package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rule a resumed server binds its address by ({@link BindRetry}): attempts while the address is
 * in use, up to a limit, with short pauses that grow and are bounded; no other failure is tried
 * again. The pauses are recorded, not slept.
 */
class BindRetryTest {

  /** The pauses asked for, in milliseconds. */
  private final List<Long> pauses = new ArrayList<>();

  private int attempts;

  private static IOException inUse() {
    // gRPC's words for a failed bind, with the JDK's exception as the cause
    return new IOException(
        "Failed to bind to address /127.0.0.1:7443", new BindException("Address already in use"));
  }

  /**
   * Binds at most {@code limit} times with attempts that all fail with what {@code failure} makes,
   * counting them in {@link #attempts}, and returns what is thrown.
   */
  private IOException failing(int limit, Supplier<IOException> failure, BindRetry.Pause pause) {
    return assertThrows(
        IOException.class,
        () ->
            BindRetry.bind(
                limit,
                () -> {
                  attempts++;
                  throw failure.get();
                },
                pause));
  }

  @Test
  void anAddressInUseIsTriedAgainUntilItBinds() throws Exception {
    String bound =
        BindRetry.bind(
            BindRetry.ATTEMPTS,
            () -> {
              if (++attempts <= 3) {
                throw inUse();
              }
              return "bound";
            },
            pauses::add);
    assertEquals("bound", bound);
    assertEquals(4, attempts);
    assertEquals(List.of(10L, 20L, 40L), pauses);
  }

  @Test
  void afterTheLastAttemptItsFailureIsThrown() {
    List<IOException> thrown = new ArrayList<>();
    IOException e =
        failing(
            BindRetry.ATTEMPTS,
            () -> {
              IOException failure = inUse();
              thrown.add(failure);
              return failure;
            },
            pauses::add);
    assertEquals(20, attempts);
    assertSame(thrown.get(19), e, "the last attempt's failure, as it is");
    assertEquals(19, pauses.size(), "a pause between two attempts, none after the last");
    for (int i = 1; i < pauses.size(); i++) {
      assertTrue(pauses.get(i) >= pauses.get(i - 1), pauses.toString());
    }
    assertEquals(BindRetry.MAX_PAUSE_MILLIS, pauses.get(18));
    long total = pauses.stream().mapToLong(Long::longValue).sum();
    assertEquals(BindRetry.maxTotalPauseMillis(BindRetry.ATTEMPTS), total);
    assertEquals(3810, total, "under 4 s in all");
  }

  @Test
  void oneAttemptIsNotRepeated() {
    failing(1, BindRetryTest::inUse, pauses::add);
    assertEquals(1, attempts);
    assertEquals(List.of(), pauses);
    assertThrows(IllegalArgumentException.class, () -> BindRetry.bind(0, () -> "x", pauses::add));
  }

  @Test
  void anotherFailureIsThrownAtOnce() {
    IOException other = new IOException("Failed to bind to address", new IOException("no route"));
    assertSame(other, failing(BindRetry.ATTEMPTS, () -> other, pauses::add));
    assertEquals(1, attempts);
    assertEquals(List.of(), pauses);
  }

  @Test
  void anInterruptedPauseEndsTheAttemptsWithTheLastFailure() {
    IOException failure = inUse();
    IOException e =
        failing(
            BindRetry.ATTEMPTS,
            () -> failure,
            millis -> {
              throw new InterruptedException();
            });
    assertSame(failure, e);
    assertEquals(1, attempts);
    assertTrue(Thread.interrupted(), "the interrupt status is set again");
  }

  @Test
  void theWordingsOfAnAddressInUseAreRecognised() {
    assertTrue(BindRetry.inUse(new BindException("Address already in use")));
    assertTrue(BindRetry.inUse(inUse()));
    // Netty's native transport: a plain IOException
    assertTrue(
        BindRetry.inUse(
            new IOException(
                "Failed to bind to address /127.0.0.1:7443",
                new IOException("bind(..) failed: Address already in use"))));
    assertFalse(BindRetry.inUse(new IOException("Failed to bind to address /10.9.9.9:7443")));
  }

  /**
   * A failure whose causes loop back on themselves (a cause set to an exception above it) is
   * answered, not walked for ever; the walk goes as deep as {@link CauseChain}'s of the node's
   * reports (ten). Fails on the old code, whose walk stopped only at a cause that is null or the
   * exception itself, so it never ended (the bound of 30 s ends the test then).
   */
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aCauseChainThatLoopsIsAnswered() {
    IOException outer = new IOException("Failed to bind to address /10.9.9.9:7443");
    IOException inner = new IOException("connection refused", outer);
    outer.initCause(inner);
    assertFalse(BindRetry.inUse(outer));
    IOException deep = new IOException("bind(..) failed: Address already in use");
    for (int i = 0; i < 9; i++) {
      deep = new IOException("wrapped " + i, deep);
    }
    assertTrue(BindRetry.inUse(deep));
  }

  /**
   * A real gRPC server on a port a socket holds: the first attempt fails as the address is in use,
   * the pause frees the port (the event the retry waits for), the second attempt binds it.
   */
  @Test
  void aGrpcServerBindsThePortOnceItsHolderLetsItGo() throws Exception {
    ServerSocket holder = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    int port = holder.getLocalPort();
    FederationServer federation =
        new FederationServer(FederationServer.Options.defaults().withInsecure(true));
    Server server =
        BindRetry.bind(
            BindRetry.ATTEMPTS,
            () -> {
              attempts++;
              return Transport.startServer(
                  new InetSocketAddress("127.0.0.1", port), null, federation);
            },
            millis -> {
              pauses.add(millis);
              try {
                holder.close();
              } catch (IOException e) {
                throw new AssertionError(e);
              }
            });
    try {
      assertEquals(port, server.getPort());
      assertEquals(2, attempts);
      assertEquals(List.of(10L), pauses);
    } finally {
      server.shutdownNow();
      federation.close();
    }
  }
}
