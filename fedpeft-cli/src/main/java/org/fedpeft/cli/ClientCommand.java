package org.fedpeft.cli;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedpeft.client.ClientData;
import org.fedpeft.client.ClientModels;
import org.fedpeft.client.PeftClient;
import org.fedpeft.config.ConfigException;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.grpc.ClientNode;
import org.fedpeft.grpc.TlsFiles;
import org.fedpeft.grpc.Transport;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.run.Population;
import org.fedpeft.run.StrategyFactory;
import org.fedpeft.simulation.PausePoint;
import org.fedpeft.simulation.SimulationConfig;
import org.fedpeft.train.FrozenBase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedpeft client}: one client node of a federation, connected to a server over gRPC. */
@Command(
    name = "client",
    mixinStandardHelpOptions = true,
    description = {
      "Connects to a 'fedpeft server' and plays the client --id of the population that CONFIG"
          + " (the server's TOML) defines: the same data partition, model and client as in"
          + " 'simulate'. It trains and evaluates when asked, keeps its LOCAL state (its privacy"
          + " accountant, local adapters) in --state, and reconnects with backoff when the server"
          + " goes away. It runs until the server finishes the run, or until stopped (Ctrl-C)."
    })
public final class ClientCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "The run's TOML.")
  Path configFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key.")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(
      names = "--server",
      required = true,
      paramLabel = "HOST:PORT",
      description = "The server's address, as named in its certificate.")
  String server;

  @Option(
      names = "--id",
      required = true,
      split = ",",
      paramLabel = "NAME",
      description =
          "This client's id in the population (client-0, client-1, ...; zero-padded for 10 or more"
              + " clients). Several comma-separated ids host several clients in this process, each"
              + " with its own stream and certificate (--certs holds client-NAME.crt for each).")
  List<String> ids;

  @Option(
      names = "--state",
      required = true,
      paramLabel = "DIR",
      description = "Folder for this client's LOCAL state (written atomically).")
  Path state;

  @Mixin NetworkOptions network;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (new LinkedHashSet<>(ids).size() != ids.size()) {
      throw new UserInputException("--id repeats a client: " + ids);
    }
    if (ids.size() > 1 && (network.ca != null || network.cert != null || network.key != null)) {
      throw new UserInputException(
          "several clients need one certificate each: use --certs DIR, not --ca/--cert/--key");
    }
    Map<String, TlsFiles> tls = new LinkedHashMap<>();
    for (String id : ids) {
      tls.put(id, network.files(id));
    }
    InetSocketAddress address;
    try {
      address = Transport.parseAddress(server);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("--server: " + e.getMessage(), e);
    }
    SimulationConfig config;
    TaskSplits splits;
    try {
      if (configFile != null && !Files.isRegularFile(configFile)) {
        throw new UserInputException(configFile + ": no such config file");
      }
      config = SimulationConfig.load(configFile, overrides);
      splits = Population.loadSplits(config);
    } catch (ConfigException | DataFormatException | IOException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    try (FrozenBase base = new FrozenBase(PretrainedModel.load(config.model()))) {
      Population population = Population.build(config, splits, base);
      Map<String, ClientData> byId = new LinkedHashMap<>();
      population.clients().forEach(c -> byId.put(c.id(), c));
      for (String id : ids) {
        if (!byId.containsKey(id)) {
          throw new UserInputException(
              "no client '"
                  + id
                  + "' in this config's population of "
                  + byId.size()
                  + " ("
                  + population.clients().get(0).id()
                  + " ... "
                  + population.clients().get(byId.size() - 1).id()
                  + ")");
        }
      }
      Files.createDirectories(state);
      ClientModels models = new ClientModels(base);
      ClientStateStore store = ClientStateStore.onDisk(state);
      List<ClientNode> nodes = new ArrayList<>();
      List<ManagedChannel> channels = new ArrayList<>();
      Thread hook =
          new Thread(
              () -> {
                synchronized (nodes) {
                  nodes.forEach(ClientNode::close);
                }
              },
              "fedpeft-client-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        for (String id : ids) {
          ClientData data = byId.get(id);
          PeftClient client =
              new PeftClient(
                  data,
                  models,
                  store,
                  StrategyFactory.sampleNoise(config, data.index()),
                  config.threadsPerClient());
          ManagedChannel channel =
              Transport.channel(address.getHostString(), address.getPort(), tls.get(id));
          channels.add(channel);
          ClientNode node =
              new ClientNode(
                  channel,
                  pausable(client),
                  ClientNode.Options.defaults(id)
                      .withListener(
                          e -> {
                            synchronized (err) {
                              err.println("network: " + e);
                            }
                          }));
          synchronized (nodes) {
            nodes.add(node);
          }
          err.printf(
              "client %s: %d training and %d held-out examples; connecting to %s (%s)%n",
              id,
              data.train().size(),
              data.holdout().size(),
              server,
              tls.get(id) == null ? "PLAINTEXT" : "mutual TLS");
          node.start();
        }
        for (int i = 0; i < ids.size(); i++) {
          String finished = nodes.get(i).awaitFinished();
          spec.commandLine().getOut().println("client " + ids.get(i) + ": " + finished);
        }
      } finally {
        synchronized (nodes) {
          nodes.forEach(ClientNode::close);
        }
        channels.forEach(ManagedChannel::shutdownNow);
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the JVM is exiting: the hook runs anyway
        }
      }
    }
    return 0;
  }

  /** A test can hold this process when a round's training starts, to kill it there. */
  private static ClientApp pausable(PeftClient client) {
    return new ClientApp() {
      @Override
      public ClientUpdate fit(FitInstructions ins) {
        PausePoint.reach("client-fit-round-" + ins.round());
        return client.fit(ins);
      }

      @Override
      public EvaluateResult evaluate(EvaluateInstructions ins) {
        return client.evaluate(ins);
      }
    };
  }
}
