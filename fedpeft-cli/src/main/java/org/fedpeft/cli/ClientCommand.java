package org.fedpeft.cli;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
      paramLabel = "NAME",
      description = "This client's id in the population (client-00, client-01, ...).")
  String id;

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
    TlsFiles tls = network.files(id);
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
      ClientData data =
          population.clients().stream()
              .filter(c -> c.id().equals(id))
              .findFirst()
              .orElseThrow(
                  () ->
                      new UserInputException(
                          "no client '"
                              + id
                              + "' in this config's population of "
                              + population.clients().size()
                              + " (client-00 ...)"));
      Files.createDirectories(state);
      PeftClient client =
          new PeftClient(
              data,
              new ClientModels(base),
              ClientStateStore.onDisk(state),
              StrategyFactory.sampleNoise(config, data.index()),
              config.threadsPerClient());
      // A test can hold this process when it starts a round's training, to kill it there.
      ClientApp app =
          new ClientApp() {
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
      ManagedChannel channel = Transport.channel(address.getHostString(), address.getPort(), tls);
      ClientNode node =
          new ClientNode(
              channel,
              app,
              ClientNode.Options.defaults(id)
                  .withListener(
                      e -> {
                        synchronized (err) {
                          err.println("network: " + e);
                        }
                      }));
      Thread hook = new Thread(node::close, "fedpeft-client-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        err.printf(
            "client %s: %d training and %d held-out examples; connecting to %s (%s)%n",
            id,
            data.train().size(),
            data.holdout().size(),
            server,
            tls == null ? "PLAINTEXT" : "mutual TLS");
        node.start();
        String finished = node.awaitFinished();
        spec.commandLine().getOut().println("client " + id + ": " + finished);
      } finally {
        node.close();
        channel.shutdownNow();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the JVM is exiting: the hook runs anyway
        }
      }
    }
    return 0;
  }
}
