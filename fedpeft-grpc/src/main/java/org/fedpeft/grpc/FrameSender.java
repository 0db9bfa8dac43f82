package org.fedpeft.grpc;

import io.grpc.stub.CallStreamObserver;
import java.util.Arrays;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes frames to one side of a stream, one writer at a time, with gRPC flow control: a message is
 * cut into chunks of at most {@link FederationProtocol#CHUNK_BYTES} and each chunk waits until the
 * transport is ready for more ({@link CallStreamObserver#isReady()}), so a large message is not
 * copied into gRPC's buffers all at once. The owner must call {@link #signalReady()} from the
 * stream's on-ready handler and {@link #close(String)} when the stream ends.
 */
final class FrameSender {

  private final CallStreamObserver<Frame> out;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private String closedReason;

  FrameSender(CallStreamObserver<Frame> out) {
    this.out = out;
  }

  /** Wakes writers waiting for the transport; call from the stream's on-ready handler. */
  void signalReady() {
    lock.lock();
    try {
      ready.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Marks the stream as ended: waiting and later writers fail with {@code reason}. */
  void close(String reason) {
    lock.lock();
    try {
      if (closedReason == null) {
        closedReason = reason;
      }
      ready.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Whether the stream has ended. */
  boolean isClosed() {
    lock.lock();
    try {
      return closedReason != null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sends a small frame without waiting for flow control.
   *
   * @return false if the stream has ended (the frame is dropped)
   */
  boolean sendControl(Frame frame) {
    lock.lock();
    try {
      if (closedReason != null) {
        return false;
      }
      return write(frame);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sends a whole message as chunks of {@code type}; an empty message is one empty chunk.
   *
   * @throws NodeUnavailableException if the stream ends before the last chunk was written
   * @throws InterruptedException if interrupted while waiting for the transport
   */
  void sendMessage(
      Frame.Type type, String runId, long requestId, int round, Frame.Phase phase, byte[] message)
      throws InterruptedException {
    lock.lockInterruptibly();
    try {
      int offset = 0;
      do {
        while (closedReason == null && !out.isReady()) {
          ready.await();
        }
        if (closedReason != null) {
          throw new NodeUnavailableException(closedReason);
        }
        int n = Math.min(FederationProtocol.CHUNK_BYTES, message.length - offset);
        Frame chunk =
            new Frame(
                type,
                runId,
                requestId,
                round,
                phase,
                message.length,
                offset,
                "",
                Arrays.copyOfRange(message, offset, offset + n));
        if (!write(chunk)) {
          throw new NodeUnavailableException(closedReason);
        }
        offset += n;
      } while (offset < message.length);
    } finally {
      lock.unlock();
    }
  }

  /** Ends the stream from this side with an error status, unless it already ended. */
  void fail(Throwable status) {
    lock.lock();
    try {
      if (closedReason == null) {
        closedReason = String.valueOf(status.getMessage());
        try {
          out.onError(status);
        } catch (RuntimeException ignored) {
          // the call is already closed: nothing left to end
        }
      }
      ready.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Ends the stream from this side normally, unless it already ended. */
  void complete(String reason) {
    lock.lock();
    try {
      if (closedReason == null) {
        closedReason = reason;
        try {
          out.onCompleted();
        } catch (RuntimeException ignored) {
          // the call is already closed
        }
      }
      ready.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Writes under the lock; a call closed underneath counts as an ended stream. */
  private boolean write(Frame frame) {
    try {
      out.onNext(frame);
      return true;
    } catch (RuntimeException e) {
      closedReason = "the stream closed: " + e.getMessage();
      ready.signalAll();
      return false;
    }
  }
}
