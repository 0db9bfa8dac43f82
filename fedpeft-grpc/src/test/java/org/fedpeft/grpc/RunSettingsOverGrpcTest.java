package org.fedpeft.grpc;

import static org.fedpeft.grpc.Clients.adder;
import static org.fedpeft.grpc.Clients.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.client.ModelSpec;
import org.fedpeft.client.RunSettings;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientConfigurer;
import org.fedpeft.federation.ClientSampler;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.FedAvg;
import org.fedpeft.federation.FederatedRound;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.train.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * QA, 5 December: the {@code run.*} JSON values a server sends travel to a node and are read there
 * by {@link RunSettings#fromConfig} as strictly as a run folder's JSON files. A value with a
 * repeated key (which gson's lenient parser read as its last value, without a word) fails the
 * node's request, and the server's round report carries the node's reason: the node, the key and
 * the repeated key. Fails on the old code, under which the node trained.
 */
@Timeout(120)
class RunSettingsOverGrpcTest {

  private static Map<String, String> runConfig() {
    RunSettings s =
        new RunSettings(
            new ModelSpec("lora", Map.of("rank", "2"), 7, HeadLayout.single(2), 8),
            1,
            1e-2,
            4,
            0,
            0,
            0,
            null,
            "",
            Objective.CLASSIFICATION,
            0,
            "");
    Map<String, String> c = new TreeMap<>(s.toConfig());
    c.put("run.adapter.options", "{\"rank\": \"2\", \"rank\": \"4\"}");
    return c;
  }

  @Test
  void aRepeatedKeyInTheInstructionsIsNamedInTheNodesFailure() throws Exception {
    ClientApp adder = adder("a", 1, 1);
    ClientApp reading =
        ins -> {
          RunSettings.fromConfig(ins.config());
          return adder.fit(ins);
        };
    FedAvg strategy =
        new FedAvg(
            StrategyOptions.defaults()
                .withMinClients(1)
                .withClientConfig(ClientConfigurer.fixed(runConfig())));
    try (InProcess net = new InProcess(FederationServer.Options.defaults())) {
      net.node("a", reading, new Events());
      assertTrue(net.federation.awaitConnected(1, Duration.ofMinutes(1)));
      List<String> ids = List.of("a");
      try (FederatedRound driver =
          new FederatedRound(
              strategy,
              net.federation.clientApps(ids),
              new ClientSampler(1, 1),
              new CommunicationLog(),
              Rounds.OPTIONS)) {
        RoundFailedException e =
            assertThrows(
                RoundFailedException.class,
                () -> driver.run(strategy.initialize(Map.of("w", vec(0.5f, -1, 2)))));
        assertEquals(1, e.failures().size(), e.failures().toString());
        assertEquals(
            "fit threw RemoteClientException: node a: IllegalArgumentException: the instructions'"
                + " config 'run.adapter.options': duplicate key 'rank' at line 1 column 16 (sent by"
                + " a server of"
                + " another version?)",
            e.failures().get(0).reason());
      }
    }
  }
}
