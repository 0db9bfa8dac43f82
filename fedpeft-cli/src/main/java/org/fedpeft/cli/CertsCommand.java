package org.fedpeft.cli;

import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.fedpeft.grpc.CertificateGenerator;
import org.fedpeft.grpc.FederationServer;
import org.fedpeft.io.RunFolder;
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
      "--population N writes one for every client id of a population of N; --node NAME --hosts"
          + " IDS writes one node certificate (client-NAME.crt) that may speak for all of IDS, for"
          + " '"
          + Launcher.IN_HELP
          + " node --as NAME'.",
      "Existing files are kept: run it again on the same folder to add clients signed by the same"
          + " CA. A certificate that exists is not issued again with other names (--server-names,"
          + " --hosts), and one that the folder's CA did not sign, or that has expired, is refused:"
          + " remove its pair first. A refused call writes nothing. A call locks the folder"
          + " (.certs.lock, removed when it ends): a second call on it meanwhile is refused (exit"
          + " 2), naming the process that holds it. Give each node only ca.crt and its own pair;"
          + " keep ca.key off the nodes."
    })
public final class CertsCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "Folder to write the files to.")
  Path out;

  @Option(
      names = "--clients",
      split = ",",
      paramLabel = "NAME",
      description =
          "Client node names, comma-separated (each " + FederationServer.NODE_NAME_RULE + ").")
  List<String> clients = new ArrayList<>();

  @Option(
      names = "--population",
      paramLabel = "N",
      description =
          "Also a certificate for every client id of a population of N: client-0 ... client-(N-1),"
              + " zero-padded as the server names them (client-00 ... for 10 or more); at most "
              + MAX_IDS
              + ". A call of "
              + PROGRESS_FROM
              + " or more certificates shows a progress bar on stderr.")
  Integer population;

  @Option(
      names = "--node",
      paramLabel = "NAME",
      description =
          "Also a node certificate (client-NAME.crt, common name NAME) that may speak for the"
              + " clients of --hosts: '"
              + Launcher.IN_HELP
              + " node --as NAME' connects all of them with it.")
  String node;

  @Option(
      names = "--hosts",
      split = ",",
      paramLabel = "ID",
      description =
          "The client ids the --node certificate may speak for, comma-separated; FIRST..LAST"
              + " names a range of numbered ids (client-00..client-24).")
  List<String> hosts = new ArrayList<>();

  @Option(
      names = "--server-names",
      split = ",",
      paramLabel = "NAME",
      defaultValue = "localhost,127.0.0.1",
      description =
          "Host names and IP addresses the clients dial the server at, comma-separated; they go"
              + " into the server certificate (default: ${DEFAULT-VALUE}, or the names of the"
              + " server certificate the folder holds).")
  List<String> serverNames;

  @Option(
      names = "--days",
      defaultValue = "365",
      paramLabel = "N",
      description =
          "Validity of new certificates in days (default: ${DEFAULT-VALUE}; at most until"
              + " 9999-12-31). A new certificate never outlives the folder's CA: if ca.crt expires"
              + " first, the new certificates end with it, and a warning on stderr names the"
              + " date.")
  int days;

  @Override
  public Integer call() throws Exception {
    if (days < 1) {
      throw new UserInputException("--days must be at least 1, got " + days);
    }
    CertificateGenerator generator;
    try {
      generator = new CertificateGenerator(Duration.ofDays(days));
    } catch (IllegalArgumentException e) {
      throw new UserInputException("--days " + days + ": " + e.getMessage());
    }
    checkOut();
    checkNames("--clients name", "--clients", clients);
    for (String s : serverNames) {
      String problem = CertificateGenerator.serverNameProblem(s);
      if (problem != null) {
        throw new UserInputException("--server-names: " + problem);
      }
    }
    if (node != null) {
      String problem = FederationServer.nodeNameProblem("--node name", node);
      if (problem != null) {
        throw new UserInputException(problem);
      }
      if (clients.contains(node)) {
        throw new UserInputException(
            "--node "
                + node
                + " is also a name of --clients: both would be "
                + CertificateGenerator.clientCertName(node));
      }
    }
    List<String> names = new ArrayList<>(clients);
    if (population != null) {
      if (population < 1) {
        throw new UserInputException("--population must be at least 1, got " + population);
      }
      if (population > MAX_IDS) {
        throw new UserInputException(
            "--population "
                + population
                + ": at most "
                + MAX_IDS
                + " (a call signs every new pair and holds it in memory before it writes any, so"
                + " that a refused call writes nothing)");
      }
      Set<String> named = new HashSet<>(names);
      for (int i = 0; i < population; i++) {
        String id = Population.clientId(i, population);
        if (id.equals(node)) {
          throw new UserInputException(
              "--node "
                  + node
                  + " is also a client id of --population "
                  + population
                  + ": both would be "
                  + CertificateGenerator.clientCertName(node));
        }
        if (named.add(id)) {
          names.add(id);
        }
      }
    }
    Map<String, List<String>> nodes = new LinkedHashMap<>();
    if (node != null) {
      List<String> hosted = new ArrayList<>();
      for (String h : hosts) {
        hosted.addAll(expandRange(h));
      }
      checkNames("--hosts id", "--hosts", hosted);
      if (hosted.isEmpty()) {
        throw new UserInputException("--node " + node + " needs --hosts: the clients it hosts");
      }
      nodes.put(node, hosted);
    } else if (!hosts.isEmpty()) {
      throw new UserInputException("--hosts names the clients of a --node certificate");
    }
    if (names.isEmpty() && nodes.isEmpty()) {
      throw new UserInputException(
          "name the clients: --clients a,b,c, --population N and/or --node NAME --hosts IDS");
    }
    if (!spec.commandLine().getParseResult().hasMatchedOption("--server-names")) {
      // adding clients to a folder: its server certificate is kept with the names it has (read
      // under the folder's lock)
      generator.keepingServerNames();
    }
    if (1 + names.size() + nodes.size() >= PROGRESS_FROM) {
      generator.withProgress(new Bars(spec.commandLine().getErr()));
    }
    CertificateGenerator.Result r;
    try {
      r = generator.write(out, serverNames, names, nodes);
    } catch (FileSystemException fs) {
      // Creating --out, or a folder above it, refused (permission, a read-only or pseudo file
      // system): the user's choice of folder, worded as train's --out.
      Path failed =
          fs.getFile() == null ? null : Path.of(fs.getFile()).toAbsolutePath().normalize();
      if (failed != null
          && !(fs instanceof FileAlreadyExistsException)
          && out.toAbsolutePath().normalize().startsWith(failed)) {
        throw RunFolder.refusal(fs, out, "--out", UserInputException::new);
      }
      throw fs;
    }
    if (r.cappedAt() != null) {
      spec.commandLine()
          .getErr()
          .println(
              "warning: the new certificates are valid until "
                  + r.cappedAt()
                  + ", when "
                  + out.resolve(CertificateGenerator.CA_CERT)
                  + " expires, not for --days "
                  + days
                  + ": a certificate is useless once its CA has expired");
    }
    PrintWriter w = spec.commandLine().getOut();
    for (Path p : r.written()) {
      w.println("wrote " + p);
    }
    for (Path p : r.kept()) {
      w.println("kept " + p);
    }
    return 0;
  }

  /**
   * A user error naming {@code --out} if it is empty (the current folder), or if it or the nearest
   * of its parents that exists is not a folder.
   */
  private void checkOut() {
    RunGuard.requireNamed("--out", out);
    Path p = out.toAbsolutePath().normalize();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p != null && !Files.isDirectory(p)) {
      throw new UserInputException("--out " + out + ": " + p + " is a file, not a folder");
    }
  }

  /** A user error naming the option if a name is not a node name or is given twice. */
  private static void checkNames(String what, String option, List<String> names) {
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      String problem = FederationServer.nodeNameProblem(what, n);
      if (problem != null) {
        throw new UserInputException(problem);
      }
      if (!seen.add(n)) {
        throw new UserInputException(option + " names '" + n + "' twice");
      }
    }
  }

  /** The most ids one range of --hosts, or --population, may name. */
  static final int MAX_IDS = 100_000;

  /** The fewest certificates (the server's, the clients', the nodes') that get a progress bar. */
  static final int PROGRESS_FROM = 100;

  /** A {@link ProgressBar} on stderr for each phase of a long call: signing, then writing. */
  private static final class Bars implements CertificateGenerator.Progress {
    private final PrintWriter err;
    private String phase;
    private ProgressBar bar;

    Bars(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void step(String phase, int done, int total) {
      if (!phase.equals(this.phase)) {
        this.phase = phase;
        bar = new ProgressBar(err, "certs: " + phase, total);
      }
      bar.update(done, "");
    }
  }

  /**
   * {@code client-00..client-24}: the ids from the first to the last, both with the same prefix and
   * a number of the same width; any other text is one id. A range that is not of that form, is
   * reversed (its first number above its last) or names more than {@link #MAX_IDS} ids is a user
   * error naming {@code --hosts}, the value and what is wrong.
   */
  static List<String> expandRange(String spec) {
    int dots = spec.indexOf("..");
    if (dots < 0) {
      return List.of(spec);
    }
    String bad = "--hosts '" + spec + "': ";
    java.util.regex.Matcher a =
        java.util.regex.Pattern.compile("(.*?)(\\d{1,18})").matcher(spec.substring(0, dots));
    java.util.regex.Matcher b =
        java.util.regex.Pattern.compile("(.*?)(\\d{1,18})").matcher(spec.substring(dots + 2));
    if (!a.matches()
        || !b.matches()
        || !a.group(1).equals(b.group(1))
        || a.group(2).length() != b.group(2).length()) {
      throw new UserInputException(
          bad
              + "not a range FIRST..LAST of ids with the same prefix and number width, such as"
              + " client-00..client-24");
    }
    long from = Long.parseLong(a.group(2));
    long to = Long.parseLong(b.group(2));
    String first = spec.substring(0, dots);
    String last = spec.substring(dots + 2);
    if (from > to) {
      throw new UserInputException(
          bad
              + "the range is reversed: its first id, "
              + first
              + ", comes after its last, "
              + last
              + "; write "
              + last
              + ".."
              + first);
    }
    if (to - from >= MAX_IDS) {
      throw new UserInputException(
          bad + "a range of " + (to - from + 1) + " ids; at most " + MAX_IDS + " per range");
    }
    List<String> ids = new ArrayList<>();
    int width = a.group(2).length();
    for (long i = from; i <= to; i++) {
      ids.add(a.group(1) + String.format(java.util.Locale.ROOT, "%0" + width + "d", i));
    }
    return ids;
  }
}
