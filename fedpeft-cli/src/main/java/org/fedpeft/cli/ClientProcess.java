package org.fedpeft.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedpeft.client.ClientData;
import org.fedpeft.client.ClientModels;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.Partitioners;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.grpc.ClientNode;
import org.fedpeft.grpc.FederationServer;
import org.fedpeft.grpc.TlsFiles;
import org.fedpeft.grpc.Transport;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.RunFolder;
import org.fedpeft.io.ShutdownHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.run.PausePoint;
import org.fedpeft.run.Population;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.train.FrozenBase;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The set-up that {@code fedpeft client} and {@code fedpeft node} share: the config, the server's
 * address, each hosted client's TLS files, the frozen model and the {@code --state} store, and the
 * two ways to get the clients' data (their shares of the config's data, or a file of the user's).
 */
final class ClientProcess {

  private final CommandSpec spec;
  private final SimulationConfig config;
  private final String server;
  private final InetSocketAddress address;
  private final Path state;
  private final Map<String, TlsFiles> tls = new LinkedHashMap<>();
  private final ClientNode.Backoff backoff;

  /** The folders of {@code --state} this process created, deepest first. */
  private final List<Path> createdState;

  /**
   * A shutdown hook that removes {@link #createdState} while they are empty, should the process be
   * stopped (Ctrl-C, SIGTERM) before its clients start; null once that hook is removed, or where
   * none was added (nothing created, or the process already shutting down).
   */
  private Thread stateCleanup;

  /**
   * Checks {@code --state} (a named folder), {@code --reconnect-max-seconds}, the address and the
   * TLS files of every hosted client, and creates the {@code --state} folder and checks that it
   * takes files, so that a folder the file system refuses stops the process before the model loads.
   * A failure of {@link #serveConfigShares} or {@link #serveFile}, or the process's end (Ctrl-C,
   * SIGTERM) before the clients start, removes the folders created here again while they are empty.
   *
   * @param ids the hosted clients
   * @param node the name of a node certificate that speaks for all of them, or null for one
   *     certificate per client
   */
  ClientProcess(
      CommandSpec spec,
      SimulationConfig config,
      String server,
      Path state,
      NetworkOptions network,
      ReconnectOption reconnect,
      List<String> ids,
      String node)
      throws IOException {
    RunGuard.requireNamed("--state", state);
    this.backoff = reconnect.backoff();
    this.spec = spec;
    this.config = config;
    this.server = server;
    this.state = state;
    if (node == null
        && ids.size() > 1
        && (network.ca != null || network.cert != null || network.key != null)) {
      throw new UserInputException(
          "several clients need one certificate each: use --certs DIR, not --ca/--cert/--key"
              + " (or a node certificate for all of them: '"
              + Launcher.command("node --as NAME")
              + "')");
    }
    String badName = node == null ? null : FederationServer.nodeNameProblem("--as", node);
    if (badName != null) {
      throw new UserInputException(badName);
    }
    TlsFiles shared = node == null ? null : network.files(node);
    if (shared != null) {
      requireHosts(shared, node, ids);
    }
    for (String id : ids) {
      tls.put(id, node == null ? network.files(id) : shared);
    }
    try {
      this.address = Transport.parseAddress(server);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("--server: " + e.getMessage(), e);
    }
    requireReadableState(state, ids);
    List<Path> created = createState(state);
    this.createdState = created;
    Thread cleanup =
        new Thread(() -> AtomicFiles.deleteEmptyFolders(created, null), "fedpeft-state-cleanup");
    this.stateCleanup = !created.isEmpty() && ShutdownHooks.add(cleanup) ? cleanup : null;
  }

  /** Removes {@link #stateCleanup}: the clients start, or a failure has removed the folders. */
  private void endStateCleanup() {
    if (stateCleanup != null) {
      ShutdownHooks.remove(stateCleanup);
      stateCleanup = null;
    }
  }

  /**
   * Creates {@code state} and the folders above it that are missing, and returns those it created,
   * deepest first; a folder the file system refuses is a user error worded by {@link
   * RunFolder#cannotCreate}. A file is then created in it and deleted again, so that a folder that
   * exists but takes no files (permission, a read-only file system) is refused now too, naming
   * --state, rather than at the first state a client saves.
   */
  private static List<Path> createState(Path state) throws IOException {
    Path abs = state.toAbsolutePath();
    List<Path> missing = new ArrayList<>();
    if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
      missing.add(abs);
      missing.addAll(AtomicFiles.missingAncestors(abs));
    }
    try {
      Files.createDirectories(state);
    } catch (FileSystemException e) {
      AtomicFiles.deleteEmptyFolders(missing, e);
      throw RunFolder.refusal(e, state, "--state", UserInputException::new);
    }
    try {
      Files.delete(Files.createTempFile(state, ".fedpeft-write-test-", ".tmp"));
    } catch (FileSystemException e) {
      AtomicFiles.deleteEmptyFolders(missing, e);
      throw RunFolder.refusal(
          e,
          refused ->
              new UserInputException(
                  "--state "
                      + state
                      + ": cannot write in it ("
                      + RunFolder.refusalReason(refused)
                      + "); choose another --state",
                  refused));
    }
    return missing;
  }

  /** Runs {@code body}; if it fails, removes the {@code --state} folders created here if empty. */
  private int removingNewStateOnFailure(Callable<Integer> body) throws Exception {
    try {
      PausePoint.reach("client-starting");
      return body.call();
    } catch (Exception | Error e) {
      AtomicFiles.deleteEmptyFolders(createdState, e);
      endStateCleanup();
      throw e;
    }
  }

  /**
   * Refuses a node certificate that neither lists nor names every client this process would host
   * (the server would refuse each of those streams, after the node had connected). A certificate
   * that is not one is bad input as its reader words it; a read the machine fails is {@link
   * UserInputException#unreadable}'s.
   */
  private static void requireHosts(TlsFiles files, String node, List<String> ids)
      throws IOException {
    List<String> listed;
    String named;
    try {
      java.security.cert.X509Certificate c =
          org.fedpeft.grpc.CertificateGenerator.readCertificate(files.certificate());
      listed = org.fedpeft.grpc.Certificates.hostedClients(c);
      named = org.fedpeft.grpc.Certificates.commonName(c); // a client's own certificate
    } catch (IOException e) {
      throw UserInputException.unreadable(e, "cannot read " + files.certificate(), "");
    }
    List<String> missing =
        ids.stream().filter(id -> !listed.contains(id) && !id.equals(named)).toList();
    if (!missing.isEmpty()) {
      throw new UserInputException(
          "--as "
              + node
              + ": its certificate "
              + files.certificate()
              + (listed.isEmpty() ? " names only " + named : " lists the clients " + listed)
              + ", not "
              + missing
              + "; host only those (--first, --clients) or issue it again with '"
              + Launcher.command("certs --node " + Launcher.arg(node) + " --hosts FIRST..LAST")
              + "'");
    }
  }

  /**
   * Reads each hosted client's saved state once, so that a damaged file stops this process at the
   * start (where it would otherwise fail every fit, which only the server sees): bad input naming
   * {@code --state} and the client, as is a file the file system refuses; an I/O error while
   * reading is the machine's ({@link UserInputException#unreadable}).
   */
  private static void requireReadableState(Path state, List<String> ids) throws IOException {
    if (Files.exists(state) && !Files.isDirectory(state)) {
      throw new UserInputException("--state " + state + " is a file, not a folder");
    }
    ClientStateStore store = ClientStateStore.onDisk(state);
    for (String id : ids) {
      String what = "--state " + state + ": the saved state of client " + id + " cannot be read";
      String remedy =
          "; restore the file from a copy, or delete it and the client starts again from no local"
              + " state";
      try {
        store.load(id);
      } catch (RuntimeException e) { // a damaged file (its format, another client's state)
        throw new UserInputException(what + " (" + e.getMessage() + ")" + remedy, e);
      } catch (IOException e) {
        throw UserInputException.unreadable(e, what, remedy);
      }
    }
  }

  /** Hosts the clients {@code ids} with their shares of the config's data, as simulate has them. */
  int serveConfigShares(List<String> ids) throws Exception {
    return removingNewStateOnFailure(() -> hostConfigShares(ids));
  }

  private int hostConfigShares(List<String> ids) throws Exception {
    if (config.data().heldByClients()) {
      throw new UserInputException(
          "this config names no training data (data.labels without data.file: the server's config"
              + " when every client brings its own file): give this client its examples with"
              + " --data FILE");
    }
    TaskSplits splits;
    try {
      splits = Population.loadSplits(config);
    } catch (DataFormatException | IOException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    String source = config.dataFile().isEmpty() ? "task " + config.task() : config.dataFile();
    try (ClientModels models = loadModels()) {
      Population population = Population.build(config, splits, models.base());
      Map<String, ClientData> byId = new LinkedHashMap<>();
      population.clients().forEach(c -> byId.put(c.id(), c));
      List<ClientHost.Share> shares = new ArrayList<>();
      for (String id : ids) {
        ClientData d = byId.get(id);
        if (d == null) {
          throw new UserInputException(
              "the config's data gives "
                  + byId.size()
                  + " clients, not one named '"
                  + id
                  + "'; set clients to their number");
        }
        shares.add(ClientHost.fromConfig(d, splits.labels(), source));
      }
      return serve(models, shares);
    }
  }

  /**
   * Hosts the clients {@code ids} with the examples of the user's {@code file}: either one client
   * gets the whole file (whose examples must not name two clients), or the file is split over the
   * clients by the config's {@code data.partition}, the i-th part to the i-th id (a natural
   * partition: the i-th distinct {@code client} value in sorted order).
   *
   * @param population the population's ids, for each client's index
   * @param split whether to split the file (else {@code ids} is one client)
   */
  int serveFile(Path file, List<String> ids, List<String> population, boolean split)
      throws Exception {
    return removingNewStateOnFailure(() -> hostFile(file, ids, population, split));
  }

  private int hostFile(Path file, List<String> ids, List<String> population, boolean split)
      throws Exception {
    Dataset all;
    try {
      all = DataFiles.read(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new UserInputException(file + ": no such data file", e);
    }
    List<int[]> parts;
    if (!split) {
      ClientHost.requireOneClient(all);
      int[] every = new int[all.size()];
      for (int i = 0; i < every.length; i++) {
        every[i] = i;
      }
      parts = List.of(every);
    } else {
      try {
        parts = Partitioners.parse(config.partition()).partition(all, ids.size(), config.seed());
      } catch (IllegalArgumentException e) {
        throw new UserInputException(
            file + ": cannot split it over " + ids.size() + " clients: " + e.getMessage(), e);
      }
    }
    try (ClientModels models = loadModels()) {
      long[][] tokens = models.base().encode(all).tokens();
      List<ClientHost.Share> shares = new ArrayList<>();
      for (int k = 0; k < ids.size(); k++) {
        int[] idx = parts.get(k);
        long[][] t = new long[idx.length][];
        for (int i = 0; i < idx.length; i++) {
          t[i] = tokens[idx[i]];
        }
        String id = ids.get(k);
        shares.add(
            ClientHost.fromFile(
                id, ClientHost.indexOf(id, population), all.subset(all.name(), idx), t, config));
      }
      return serve(models, shares);
    }
  }

  /**
   * The config's frozen model, loaded, as this process's clients share it: with {@code
   * model.precision = "auto"} it follows the server's precision ({@link ClientModels#ofNode}),
   * loading the model again and printing a line on standard error when that is not the one picked
   * here.
   */
  private ClientModels loadModels() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    return ClientModels.ofNode(
        new FrozenBase(PretrainedModel.load(config.model())),
        precision -> new FrozenBase(PretrainedModel.load(config.model()).withPrecision(precision)),
        line -> {
          synchronized (err) {
            err.println(line);
          }
        });
  }

  private int serve(ClientModels models, List<ClientHost.Share> shares) throws Exception {
    String picked = models.base().precisionNote();
    if (picked != null) {
      spec.commandLine().getErr().println(picked);
    }
    endStateCleanup(); // from here on the folder stays, as it did when it was created here
    return ClientHost.serve(
        shares,
        models,
        ClientStateStore.onDisk(state),
        config,
        address,
        server,
        tls,
        backoff,
        spec.commandLine().getOut(),
        spec.commandLine().getErr());
  }
}
