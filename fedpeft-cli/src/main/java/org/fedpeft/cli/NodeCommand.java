package org.fedpeft.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedpeft.run.SimulationConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedpeft node}: one process hosting N consecutive clients of the population, each the same
 * client as in {@code fedpeft client} (the code is shared: {@link ClientHost}).
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Connects to a 'fedpeft server' and hosts --clients N virtual clients of the population that"
          + " CONFIG (the server's TOML) defines: client-K ... client-(K+N-1), K being --first."
          + " They share this process's frozen model and --state folder; each is the same client"
          + " as 'fedpeft client' runs, with its own stream, and either its own certificate"
          + " (--certs holds client-NAME.crt for each; '"
          + Launcher.IN_HELP
          + " certs --population N' writes them"
          + " all) or the node's certificate (--as). Several nodes with different --first spread"
          + " a large population over several machines.",
      "Their data: without --data, their shares of CONFIG's data, partitioned as 'simulate' does."
          + " With --data FILE, that file split over the N clients by CONFIG's data.partition"
          + " (\"natural\": the i-th distinct client value, in sorted order, goes to the i-th"
          + " client); its labels must be labels of the server's run. A CONFIG without training"
          + " data (data.labels without data.file, as a server's may be) needs --data. "
          + ClientHost.RUNS_UNTIL
    })
public final class NodeCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ClientSideOptions side;

  @Option(
      names = "--clients",
      required = true,
      paramLabel = "N",
      description = "How many clients of the population this node hosts.")
  int clients;

  @Option(
      names = "--first",
      defaultValue = "0",
      paramLabel = "K",
      description = "The index of the first client it hosts (default: ${DEFAULT-VALUE}).")
  int first;

  @Option(
      names = "--data",
      paramLabel = "FILE",
      description =
          "The clients' examples (.jsonl or .csv as for 'simulate'), split over the N clients by"
              + " data.partition, instead of their shares of CONFIG's data.")
  Path data;

  @Option(
      names = "--as",
      paramLabel = "NAME",
      description =
          "Connect every hosted client with the one node certificate NAME (client-NAME.crt and"
              + " .key in --certs, or --cert/--key), which lists the clients it may speak for"
              + " ('"
              + Launcher.IN_HELP
              + " certs --node NAME --hosts client-00..client-24'): one TLS connection,"
              + " one stream per client. Default: each client with its own certificate.")
  String node;

  @Mixin NetworkOptions network;

  @Mixin ReconnectOption reconnect;

  @Override
  public Integer call() throws Exception {
    SimulationConfig config = side.loadConfig();
    List<String> population = ClientHost.populationIds(config);
    if (clients < 1 || first < 0 || first + clients > population.size()) {
      throw new UserInputException(
          "--first "
              + first
              + " --clients "
              + clients
              + " must name clients of the "
              + ClientHost.describe(population));
    }
    List<String> ids = population.subList(first, first + clients);
    ClientProcess process =
        new ClientProcess(spec, config, side.server, side.state, network, reconnect, ids, node);
    if (data != null) {
      return process.serveFile(data, ids, population, true);
    }
    return process.serveConfigShares(ids);
  }
}
