package org.fedpeft.grpc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientSampler;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.EvaluationReport;
import org.fedpeft.federation.FedAvg;
import org.fedpeft.federation.FederatedRound;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.federation.ServerOptimizer;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.Strategy;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.tensor.HostTensor;

/** Runs a few rounds with evaluation through the round driver, for comparing transports. */
final class Rounds {

  /** A timeout that only a client blocked for good reaches. */
  static final FederatedRound.Options OPTIONS =
      new FederatedRound.Options(Duration.ofSeconds(60), 4, true);

  private Rounds() {}

  /** FedAvg with FedAdam on the server, so that rounding differences would show. */
  static FedAvg strategy(int minClients) {
    return new FedAvg(
        StrategyOptions.defaults()
            .withMinClients(minClients)
            .withServerOptimizer(ServerOptimizer.fedAdam(0.1, 0.9, 0.99, 1e-3)));
  }

  /** The final state and every report as a JSON line, wall times zeroed. */
  record Result(ServerState state, List<String> reports) {}

  static Result run(
      Strategy strategy,
      Map<String, HostTensor> initial,
      Map<String, ClientApp> apps,
      int perRound,
      int rounds,
      CommunicationLog log)
      throws InterruptedException {
    List<String> lines = new ArrayList<>();
    ServerState state = strategy.initialize(initial);
    try (FederatedRound driver =
        new FederatedRound(strategy, apps, new ClientSampler(11, perRound), log, OPTIONS)) {
      for (int r = 0; r < rounds; r++) {
        RoundReport report = driver.run(state);
        state = report.state();
        lines.add(withoutTimes(report.toJson()));
        EvaluationReport eval = driver.evaluate(state, List.copyOf(apps.keySet()));
        lines.add(eval.toJson());
      }
    }
    return new Result(state, lines);
  }

  /** Wall times differ between runs; everything else in a report must not. */
  static String withoutTimes(String json) {
    return json.replaceAll("\"(fit_seconds|seconds)\":[0-9.eE-]+", "\"$1\":0");
  }
}
