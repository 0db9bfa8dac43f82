package org.fedpeft.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A misbehaving node for tests: it speaks the frame protocol directly and answers each complete
 * request with whatever frames its responder returns (wrong tags, duplicates, replays, broken
 * chunks).
 */
final class RawNode implements AutoCloseable {

  /** Decides the frames sent back for a complete request. */
  interface Responder {
    /**
     * @param first the request's first chunk (its tags)
     * @param message the whole request message
     * @param index 0 for the first request this node receives, then 1, ...
     */
    List<Frame> answer(Frame first, byte[] message, int index);
  }

  private final StreamObserver<Frame> out;
  private final CountDownLatch welcomed = new CountDownLatch(1);
  private final CountDownLatch ended = new CountDownLatch(1);
  private final boolean answerWelcome;
  private volatile String runId;
  private volatile Throwable error;
  final List<Frame> received = new ArrayList<>();

  RawNode(Channel channel, String name, Responder responder) {
    this(channel, name, responder, true);
  }

  /**
   * @param answerWelcome whether a WELCOME is answered with READY at once; if false, the test sends
   *     it with {@link #sendReady()}
   */
  RawNode(Channel channel, String name, Responder responder, boolean answerWelcome) {
    this.answerWelcome = answerWelcome;
    StreamObserver<Frame> in =
        new StreamObserver<>() {
          private Frame first;
          private byte[] buffer;
          private int filled;
          private int index;

          @Override
          public void onNext(Frame f) {
            synchronized (received) {
              received.add(f);
            }
            if (f.type() == Frame.Type.WELCOME) {
              runId = f.runId();
              if (RawNode.this.answerWelcome) {
                sendReady();
              }
              welcomed.countDown();
            }
            if (f.type() != Frame.Type.REQUEST) {
              return;
            }
            if (f.offset() == 0) {
              first = f;
              buffer = new byte[(int) f.totalBytes()];
              filled = 0;
            }
            System.arraycopy(f.payload(), 0, buffer, filled, f.payload().length);
            filled += f.payload().length;
            if (filled == buffer.length) {
              for (Frame reply : responder.answer(first, buffer, index++)) {
                send(reply);
              }
            }
          }

          @Override
          public void onError(Throwable t) {
            error = t;
            ended.countDown();
          }

          @Override
          public void onCompleted() {
            ended.countDown();
          }
        };
    out =
        ClientCalls.asyncBidiStreamingCall(
            channel.newCall(FederationProtocol.CONNECT, CallOptions.DEFAULT), in);
    send(Frame.control(Frame.Type.HELLO, "", 0, 0, Frame.Phase.NONE, name));
  }

  synchronized void send(Frame f) {
    out.onNext(f);
  }

  /** Accepts the run this node was welcomed to. */
  void sendReady() {
    send(Frame.control(Frame.Type.READY, runId, 0, 0, Frame.Phase.NONE, ""));
  }

  /**
   * Waits until the server ends the stream; the timeout only bounds a broken test.
   *
   * @return the error it ended with, or null if it completed normally
   */
  Throwable awaitEnd() throws InterruptedException {
    if (!ended.await(1, TimeUnit.MINUTES)) {
      throw new AssertionError("the stream did not end");
    }
    return error;
  }

  void awaitWelcome() throws InterruptedException {
    if (!welcomed.await(1, TimeUnit.MINUTES)) {
      throw new AssertionError("not welcomed");
    }
  }

  /** The texts of the frames of {@code type} received so far, in order. */
  List<String> texts(Frame.Type type) {
    synchronized (received) {
      return received.stream().filter(f -> f.type() == type).map(Frame::text).toList();
    }
  }

  /** The frames of a whole reply message with the given tags, in chunks of {@code chunk} bytes. */
  static List<Frame> reply(
      String runId, long requestId, int round, Frame.Phase phase, byte[] message, int chunk) {
    List<Frame> frames = new ArrayList<>();
    int offset = 0;
    do {
      int n = Math.min(chunk, message.length - offset);
      frames.add(
          new Frame(
              Frame.Type.REPLY,
              runId,
              requestId,
              round,
              phase,
              message.length,
              offset,
              "",
              Arrays.copyOfRange(message, offset, offset + n)));
      offset += n;
    } while (offset < message.length);
    return frames;
  }

  @Override
  public void close() {
    try {
      out.onCompleted();
    } catch (RuntimeException ignored) {
      // already closed
    }
  }
}
