package org.fedpeft.cli;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedpeft.run.SimulationConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpeft client}: one or more clients of a federation, connected to a server over gRPC. */
@Command(
    name = "client",
    mixinStandardHelpOptions = true,
    description = {
      "Connects to a 'fedpeft server' and plays the client --id of the population that CONFIG"
          + " (the server's TOML) defines, with the same model and client code as 'simulate'. It"
          + " trains and evaluates when asked, keeps its LOCAL state (its privacy accountant, local"
          + " adapters) in --state, and reconnects with backoff when the server goes away. "
          + ClientHost.RUNS_UNTIL,
      "Its data: with --data FILE, the examples of that file (JSONL or CSV as for 'simulate'),"
          + " all of them, in file order, as 'simulate' gives them to the client of that id under"
          + " data.partition = \"natural\" and data.split = \"none\"; their labels must be labels"
          + " of the server's run (which it sends when the client connects). Without --data, its"
          + " share of CONFIG's data, partitioned as 'simulate' does; a CONFIG without training"
          + " data (data.labels without data.file, as a server's may be) needs --data.",
      "Several comma-separated ids host several clients of CONFIG's data in this process (see"
          + " also '"
          + Launcher.IN_HELP
          + " node')."
    })
public final class ClientCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ClientSideOptions side;

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
      names = "--data",
      paramLabel = "FILE",
      description =
          "This client's own examples (.jsonl or .csv with text and label, as for 'simulate'),"
              + " instead of its share of CONFIG's data; one --id only. Errors name the file and"
              + " line, also for a label the server's run does not have.")
  Path data;

  @Mixin NetworkOptions network;

  @Mixin ReconnectOption reconnect;

  @Override
  public Integer call() throws Exception {
    if (new LinkedHashSet<>(ids).size() != ids.size()) {
      throw new UserInputException("--id repeats a client: " + ids);
    }
    if (data != null && ids.size() > 1) {
      throw new UserInputException(
          "--data holds one client's examples: give one --id (to split a file over several"
              + " clients, use '"
              + Launcher.command("node --data FILE --clients N")
              + "')");
    }
    SimulationConfig config = side.loadConfig();
    List<String> population = ClientHost.populationIds(config);
    for (String id : ids) {
      ClientHost.indexOf(id, population);
    }
    ClientProcess process =
        new ClientProcess(spec, config, side.server, side.state, network, reconnect, ids, null);
    if (data != null) {
      return process.serveFile(data, ids, population, false);
    }
    return process.serveConfigShares(ids);
  }
}
