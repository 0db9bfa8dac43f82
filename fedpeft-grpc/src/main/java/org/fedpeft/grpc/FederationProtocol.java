package org.fedpeft.grpc;

import io.grpc.MethodDescriptor;

/**
 * The one gRPC method of the federation service, described by hand (no .proto): {@code
 * fedpeft.Federation/Connect}, a bidirectional stream of {@link Frame}s opened by the client node.
 * The node sends HELLO, then READY once it has checked the run it was welcomed to (or REFUSED with
 * its reason if it will not take part in it), then replies (REPLY chunks, FAILED, DECLINED); the
 * server sends WELCOME, then, once the node is READY, requests (REQUEST chunks, CANCEL) and NOTICEs
 * of what it rejected, and DONE at the end of the run.
 *
 * <p>Compatibility: every frame carries {@link Frame#FORMAT_VERSION}, and a frame of another
 * version is refused. The WELCOME payload ({@link RunInfo}) is JSON whose keys beyond {@code
 * labels} are optional and whose unknown keys are ignored, so a key is added to it without a new
 * version.
 */
final class FederationProtocol {

  /** The gRPC service name. */
  static final String SERVICE = "fedpeft.Federation";

  /**
   * The largest payload of one frame: 1 MiB, well under gRPC's default 4 MiB limit on one message,
   * so a message of any size travels as several frames and no limit has to be raised.
   */
  static final int CHUNK_BYTES = 1 << 20;

  /** The bidirectional stream. */
  static final MethodDescriptor<Frame, Frame> CONNECT =
      MethodDescriptor.<Frame, Frame>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Connect"))
          .setRequestMarshaller(new Frame.Marshaller())
          .setResponseMarshaller(new Frame.Marshaller())
          .build();

  private FederationProtocol() {}
}
