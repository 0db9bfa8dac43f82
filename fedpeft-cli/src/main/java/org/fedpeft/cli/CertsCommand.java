package org.fedpeft.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedpeft.grpc.CertificateGenerator;
import org.fedpeft.run.Population;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpeft certs}: a CA, a server certificate and client certificates for mutual TLS. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = {
      "Writes a certificate authority (ca.crt, ca.key), a server certificate (server.crt,"
          + " server.key) and one client certificate per name (client-NAME.crt, client-NAME.key),"
          + " PEM, for a quick start with mutual TLS. A client's identity on the server is the"
          + " common name of its certificate, NAME.",
      "Existing files are kept: run it again on the same folder to add clients signed by the same"
          + " CA. Give each node only ca.crt and its own pair; keep ca.key off the nodes."
    })
public final class CertsCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--out", required = true, description = "Folder to write the files to.")
  Path out;

  @Option(
      names = "--clients",
      split = ",",
      description = "Client node names, comma-separated (letters, digits, '.', '_', '-').")
  List<String> clients = new ArrayList<>();

  @Option(
      names = "--population",
      paramLabel = "N",
      description =
          "Also a certificate for every client id of a population of N: client-0 ... client-(N-1),"
              + " zero-padded as the server names them (client-00 ... for 10 or more).")
  Integer population;

  @Option(
      names = "--server-names",
      split = ",",
      defaultValue = "localhost,127.0.0.1",
      description =
          "Host names and IP addresses the clients dial the server at, comma-separated; they go"
              + " into the server certificate (default: ${DEFAULT-VALUE}).")
  List<String> serverNames;

  @Option(
      names = "--days",
      defaultValue = "365",
      description = "Validity of new certificates in days (default: ${DEFAULT-VALUE}).")
  int days;

  @Override
  public Integer call() throws Exception {
    if (days < 1) {
      throw new UserInputException("--days must be at least 1, got " + days);
    }
    List<String> names = new ArrayList<>(clients);
    if (population != null) {
      if (population < 1) {
        throw new UserInputException("--population must be at least 1, got " + population);
      }
      for (int i = 0; i < population; i++) {
        String id = Population.clientId(i, population);
        if (!names.contains(id)) {
          names.add(id);
        }
      }
    }
    if (names.isEmpty()) {
      throw new UserInputException("name the clients: --clients a,b,c and/or --population N");
    }
    CertificateGenerator.Result r =
        new CertificateGenerator(Duration.ofDays(days)).write(out, serverNames, names);
    PrintWriter w = spec.commandLine().getOut();
    for (Path p : r.written()) {
      w.println("wrote " + p);
    }
    for (Path p : r.kept()) {
      w.println("kept " + p);
    }
    return 0;
  }
}
