package org.fedpeft.grpc;

/**
 * Puts one message back together from its chunks, which must arrive in order, each continuing where
 * the previous one ended, all announcing the same total. The total is checked against a limit
 * before any memory is taken, so an oversized message is refused at its first chunk.
 */
final class MessageAssembler {

  private final long requestId;
  private final byte[] buffer;
  private int filled;

  private MessageAssembler(long requestId, int total) {
    this.requestId = requestId;
    this.buffer = new byte[total];
  }

  /**
   * Starts assembling the message that {@code first} begins.
   *
   * @param first the first chunk
   * @param limit the largest message accepted, in bytes
   * @param what names the message in errors, e.g. {@code "the fit reply to request 7"}
   * @throws MessageRejectedException if the announced size exceeds {@code limit} or is invalid
   */
  static MessageAssembler start(Frame first, long limit, String what) {
    long total = first.totalBytes();
    if (total < 0) {
      throw new MessageRejectedException(what + " announces a negative size " + total);
    }
    if (total > limit) {
      throw new MessageRejectedException(
          what + " of " + total + " bytes exceeds the limit of " + limit + " bytes");
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new MessageRejectedException(what + " of " + total + " bytes is too large to hold");
    }
    return new MessageAssembler(first.requestId(), (int) total);
  }

  /**
   * Adds a chunk.
   *
   * @return whether the message is complete
   * @throws MessageRejectedException if the chunk does not continue the message
   */
  boolean add(Frame chunk, String what) {
    if (chunk.requestId() != requestId) {
      throw new MessageRejectedException(
          what + ": a chunk of request " + chunk.requestId() + " inside request " + requestId);
    }
    if (chunk.totalBytes() != buffer.length) {
      throw new MessageRejectedException(
          what
              + ": a chunk announces "
              + chunk.totalBytes()
              + " bytes in all, the first announced "
              + buffer.length);
    }
    if (chunk.offset() != filled) {
      throw new MessageRejectedException(
          what + ": a chunk at offset " + chunk.offset() + ", expected " + filled);
    }
    byte[] p = chunk.payload();
    if (p.length > buffer.length - filled) {
      throw new MessageRejectedException(
          what + ": chunks exceed the announced " + buffer.length + " bytes");
    }
    System.arraycopy(p, 0, buffer, filled, p.length);
    filled += p.length;
    return filled == buffer.length;
  }

  /** The whole message; only once {@link #add} returned true. */
  byte[] message() {
    if (filled != buffer.length) {
      throw new IllegalStateException("message incomplete: " + filled + " of " + buffer.length);
    }
    return buffer;
  }
}
