package org.fedpeft.grpc;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * One message on the federation stream: a control message or one chunk of a fit/evaluate message.
 *
 * <p>Binary layout (big-endian, {@link DataOutputStream} conventions): format version (byte,
 * {@value #FORMAT_VERSION}), type (byte), run id (UTF), request id (long), round (int), phase
 * (byte), total bytes of the whole message (long), offset of this chunk in it (long), text (UTF),
 * payload length (int) and payload bytes. Fields a type does not use are empty or zero.
 *
 * @param type what the frame is
 * @param runId the server's run id (requests and replies; WELCOME announces it; HELLO names the
 *     identity of the run the node last joined)
 * @param requestId the request this frame belongs to (0 for connection-level frames)
 * @param round the round the request is for (fit: the round being run; evaluate: completed rounds)
 * @param phase fit or evaluate, or {@link Phase#NONE}
 * @param totalBytes the length of the whole message this chunk belongs to
 * @param offset where this chunk's payload starts in the whole message
 * @param text a name (HELLO, WELCOME), empty (READY) or a reason (FAILED, DECLINED, CANCEL, NOTICE,
 *     DONE, REFUSED)
 * @param payload the chunk's bytes (never null)
 */
record Frame(
    Type type,
    String runId,
    long requestId,
    int round,
    Phase phase,
    long totalBytes,
    long offset,
    String text,
    byte[] payload) {

  /** The version of this layout; a frame of another version is refused. */
  static final int FORMAT_VERSION = 2;

  /** The longest text a frame carries; longer reasons are cut (a UTF field holds 64 KiB). */
  static final int MAX_TEXT_CHARS = 4000;

  /** The kinds of frame. */
  enum Type {
    /**
     * node to server, first frame of a stream: the name the node claims (used only if insecure);
     * run id: the identity of the run the node last accepted ({@link RunInfo#run()}, or the
     * server's tag without one), empty for a node that has joined none (a server whose run is over
     * tells only its own run's nodes to stop; one of an older fedpeft, which sent it empty, is
     * taken for a fresh node).
     */
    HELLO,
    /**
     * server to node: accepted; text is the node's identity as the server knows it, the payload the
     * {@link RunInfo} (UTF-8 JSON, possibly empty).
     */
    WELCOME,
    /** server to node: one chunk of a fit or evaluate instruction message. */
    REQUEST,
    /** node to server: one chunk of the reply (client update or evaluate result). */
    REPLY,
    /** node to server: the local client failed on a request; text is the reason. */
    FAILED,
    /** node to server: the local client declined the request; text is the reason. */
    DECLINED,
    /** server to node: stop working on a request (it timed out or was given up). */
    CANCEL,
    /** server to node: something the node sent was rejected; text is the reason. */
    NOTICE,
    /** server to node: the run is over, do not reconnect; text says why. */
    DONE,
    /**
     * node to server, after WELCOME: the node refuses the server's run (its data does not fit the
     * run's labels, say) and ends the stream; text is its reason. Added after DONE, so the other
     * types keep their numbers.
     */
    REFUSED,
    /**
     * node to server, after WELCOME: the node accepts the server's run (its data fits); only now
     * does the server count it as connected and send it requests. Added in format version 2.
     */
    READY
  }

  /** What a request asks for. */
  enum Phase {
    NONE,
    FIT,
    EVALUATE
  }

  /** Checks the fields and cuts an overlong text. */
  Frame {
    Objects.requireNonNull(type, "type");
    runId = runId == null ? "" : runId;
    Objects.requireNonNull(phase, "phase");
    text = text == null ? "" : cut(text);
    payload = payload == null ? new byte[0] : payload;
  }

  /** A frame without message bytes. */
  static Frame control(
      Type type, String runId, long requestId, int round, Phase phase, String text) {
    return new Frame(type, runId, requestId, round, phase, 0, 0, text, null);
  }

  private static String cut(String text) {
    return text.length() <= MAX_TEXT_CHARS ? text : text.substring(0, MAX_TEXT_CHARS) + "...";
  }

  byte[] encode() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 + payload.length);
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      out.writeByte(FORMAT_VERSION);
      out.writeByte(type.ordinal());
      out.writeUTF(runId);
      out.writeLong(requestId);
      out.writeInt(round);
      out.writeByte(phase.ordinal());
      out.writeLong(totalBytes);
      out.writeLong(offset);
      out.writeUTF(text);
      out.writeInt(payload.length);
      out.write(payload);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buffer.toByteArray();
  }

  /**
   * Reads a frame.
   *
   * @throws IllegalArgumentException if the bytes are not a frame of this version
   */
  static Frame decode(InputStream stream) {
    try {
      DataInputStream in = new DataInputStream(stream);
      int version = in.readUnsignedByte();
      if (version != FORMAT_VERSION) {
        throw new IllegalArgumentException(
            "frame format version " + version + ", this side speaks " + FORMAT_VERSION);
      }
      Type type = enumAt(Type.values(), in.readUnsignedByte(), "frame type");
      String runId = in.readUTF();
      long requestId = in.readLong();
      int round = in.readInt();
      Phase phase = enumAt(Phase.values(), in.readUnsignedByte(), "phase");
      long total = in.readLong();
      long offset = in.readLong();
      String text = in.readUTF();
      int length = in.readInt();
      if (length < 0) {
        throw new IllegalArgumentException("negative payload length " + length);
      }
      byte[] payload = in.readNBytes(length);
      if (payload.length != length) {
        throw new IllegalArgumentException(
            "payload cut short: " + payload.length + " of " + length + " bytes");
      }
      if (in.read() != -1) {
        throw new IllegalArgumentException("bytes after the payload");
      }
      return new Frame(type, runId, requestId, round, phase, total, offset, text, payload);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a federation frame: " + e, e);
    }
  }

  private static <E> E enumAt(E[] values, int index, String what) {
    if (index >= values.length) {
      throw new IllegalArgumentException("unknown " + what + " " + index);
    }
    return values[index];
  }

  @Override
  public String toString() {
    return type
        + "(run "
        + runId
        + ", request "
        + requestId
        + ", round "
        + round
        + ", "
        + phase
        + ", "
        + offset
        + "+"
        + payload.length
        + "/"
        + totalBytes
        + (text.isEmpty() ? "" : ", '" + text + "'")
        + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Frame f
        && type == f.type
        && runId.equals(f.runId)
        && requestId == f.requestId
        && round == f.round
        && phase == f.phase
        && totalBytes == f.totalBytes
        && offset == f.offset
        && text.equals(f.text)
        && java.util.Arrays.equals(payload, f.payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, runId, requestId, round, phase, totalBytes, offset, text)
        ^ java.util.Arrays.hashCode(payload);
  }

  /** The gRPC marshaller of frames. */
  static final class Marshaller implements MethodDescriptor.Marshaller<Frame> {
    @Override
    public InputStream stream(Frame value) {
      return new ByteArrayInputStream(value.encode());
    }

    @Override
    public Frame parse(InputStream stream) {
      return decode(stream);
    }
  }
}
