/**
 * Federation over the network with gRPC: a server process whose remote client nodes appear to the
 * round driver as {@link org.fedpeft.federation.ClientApp}s, and a client node process that runs a
 * local {@code ClientApp}. Simulation and deployment therefore share one code path: {@link
 * org.fedpeft.federation.FederatedRound} with the same {@link org.fedpeft.federation.Strategy},
 * sampling, timeouts and validation; only the transport of the messages' bytes differs.
 *
 * <h2>Pieces</h2>
 *
 * <ul>
 *   <li>{@link org.fedpeft.grpc.FederationServer}: accepts node streams, authenticates each node by
 *       the common name of its TLS client certificate, and offers a {@code ClientApp} per node
 *       ({@code clientApp(id)}) that sends a request and waits for the reply, rejecting replies for
 *       another run, round or phase, duplicates, replays and oversized messages with a reason.
 *   <li>{@link org.fedpeft.grpc.ClientNode}: the node's side, with reconnection and backoff.
 *   <li>{@link org.fedpeft.grpc.EventLines}: the console lines of both sides' {@link
 *       org.fedpeft.grpc.TransportEvent}s, a node's repeated failures counted, not repeated.
 *   <li>{@link org.fedpeft.grpc.Transport}: Netty TCP servers and channels with mutual TLS (client
 *       certificates required), or plaintext only when asked.
 *   <li>{@link org.fedpeft.grpc.CertificateGenerator}: a CA, a server certificate and client
 *       certificates for a quick start (BouncyCastle).
 * </ul>
 *
 * <h2>Why no .proto</h2>
 *
 * The messages already have an exact, versioned byte form: the safetensors encoding of {@link
 * org.fedpeft.federation.FitInstructions}, {@link org.fedpeft.federation.ClientUpdate}, {@link
 * org.fedpeft.federation.EvaluateInstructions} and {@link org.fedpeft.federation.EvaluateResult}
 * (what the simulation's communication log counts). The one gRPC method is therefore described by
 * hand ({@code io.grpc.MethodDescriptor}) with a small marshaller for frames that carry a few tags
 * and a chunk of those bytes. This needs neither protobuf nor a code generator (protoc is a native
 * binary that a Maven plugin would have to fetch), and the bytes on the wire are the bytes the
 * simulation measures, plus a header of a few dozen bytes per chunk.
 *
 * <h2>Sizes</h2>
 *
 * A message is sent in chunks of at most 1 MiB, under gRPC's default limit of 4 MiB per message, so
 * no limit is raised and messages of any size travel (tested above 10 MB). Each side refuses a
 * message larger than its configured limit at the first chunk, before allocating it. Chunks are
 * written only as fast as the transport takes them (gRPC flow control), so a sender holds the
 * message it sends plus about one chunk in gRPC's buffers; a receiver holds the message it
 * assembles.
 */
package org.fedpeft.grpc;
