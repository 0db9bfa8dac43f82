package org.fedpeft.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.fedpeft.grpc.EventLines;
import org.fedpeft.grpc.TlsFiles;
import org.fedpeft.grpc.TransportEvent;
import picocli.CommandLine.Option;

/**
 * The TLS options {@code server}, {@code client} and {@code node} share, and their network console.
 */
final class NetworkOptions {

  @Option(
      names = "--certs",
      paramLabel = "DIR",
      description =
          "Folder written by '" + Launcher.IN_HELP + " certs' (ca.crt and this side's pair).")
  Path certs;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      description = "CA certificate (PEM), if not --certs.")
  Path ca;

  @Option(
      names = "--cert",
      paramLabel = "FILE",
      description = "This side's certificate (PEM), if not --certs.")
  Path cert;

  @Option(
      names = "--key",
      paramLabel = "FILE",
      description = "This side's private key (PKCS#8 PEM), if not --certs.")
  Path key;

  @Option(
      names = "--insecure",
      description =
          "Plaintext, no certificates: node identities are the names nodes claim, unchecked. Only"
              + " for trusted networks and tests. The server and its nodes must agree: a node"
              + " facing a server of the other mode stops after its first attempt.")
  boolean insecure;

  /**
   * The listener that prints a server's or a node's network events on {@code err}, {@code network:
   * } and the event, a node's repeated failures collapsed ({@link EventLines}). It is called from
   * several threads (gRPC's, each node's): each event is counted and printed under {@code err}'s
   * lock, so that the lines come out in the order they were counted (a count never before the line
   * it counts the repeats of).
   */
  static Consumer<TransportEvent> console(PrintWriter err) {
    EventLines lines = new EventLines();
    return e -> {
      synchronized (err) {
        String line = lines.line(e);
        if (line != null) {
          err.println("network: " + line);
        }
      }
    };
  }

  /**
   * The TLS options as given, for a command line that repeats them (a resume hint): " --insecure",
   * " --certs DIR" or " --ca FILE --cert FILE --key FILE", each path as given, as one shell word
   * ({@link Launcher#arg}). Meant after {@link #files} accepted them.
   */
  String asGiven() {
    if (insecure) {
      return " --insecure";
    }
    return certs != null
        ? " --certs " + Launcher.arg(certs)
        : " --ca "
            + Launcher.arg(ca)
            + " --cert "
            + Launcher.arg(cert)
            + " --key "
            + Launcher.arg(key);
  }

  /**
   * The TLS files, or null with --insecure. They are read and checked now ({@link
   * TlsFiles#requireUsable}): a key that does not fit its certificate, an expired certificate or,
   * in a --certs folder, a certificate another CA signed, is bad input before anything connects, as
   * is a file the file system refuses ({@link UserInputException#unreadable}).
   *
   * @param clientName null for the server, else the node whose pair --certs holds
   * @throws IOException naming the file, where the machine fails to read it (an I/O error)
   */
  TlsFiles files(String clientName) throws IOException {
    boolean individual = ca != null || cert != null || key != null;
    if (insecure) {
      if (certs != null || individual) {
        throw new UserInputException("--insecure takes no certificates");
      }
      return null;
    }
    if (certs != null && individual) {
      throw new UserInputException("give --certs DIR or --ca/--cert/--key, not both");
    }
    TlsFiles f;
    if (certs != null) {
      f = clientName == null ? TlsFiles.server(certs) : TlsFiles.client(certs, clientName);
    } else if (ca != null && cert != null && key != null) {
      f = new TlsFiles(ca, cert, key);
    } else {
      throw new UserInputException(
          "mutual TLS needs --certs DIR (see '"
              + Launcher.command("certs")
              + "') or all of --ca, --cert and --key; --insecure runs without TLS");
    }
    try {
      return f.requireUsable(certs != null);
    } catch (IllegalArgumentException e) {
      throw new UserInputException(e.getMessage(), e);
    } catch (TlsFiles.UnreadableFileException e) {
      throw UserInputException.unreadable(e.getCause(), "cannot read the TLS file " + e.file(), "");
    }
  }
}
