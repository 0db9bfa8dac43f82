package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.model.Precision;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 5 December: a bf16 server and a {@code fedpeft node} process on 127.0.0.1 whose precision
 * differs. A node set to {@code auto} that resolves to fp32 on its CPU (here: a /proc/cpuinfo
 * without bfloat16 flags, {@link Precision#CPU_INFO_PROPERTY}) refused every round before; it now
 * follows the server, and the run ends as its bf16 simulation. A node set to fp32 explicitly still
 * refuses the run, naming both precisions, and stops.
 */
@Timeout(300)
class NodePrecisionCliTest {

  @TempDir Path tmp;

  /**
   * The node process: {@code fedpeft node CONFIG --clients 3 --set model.precision=PRECISION}, with
   * system properties {@code props}.
   */
  private Spawned node(
      Path config, String address, Path certs, String precision, Map<String, String> props)
      throws Exception {
    return Spawned.node(
        props,
        config,
        address,
        3,
        certs,
        tmp.resolve("state"),
        "--set",
        "model.precision=" + precision);
  }

  private Path certs() {
    Path certs = tmp.resolve("certs");
    assertEquals(0, CliRun.run("certs", "--out", certs.toString(), "--population", "3").code());
    return certs;
  }

  @Test
  @Tag("slow")
  void anAutoNodeWithoutBf16ArithmeticFollowsABf16ServerAndEndsAsTheSimulation() throws Exception {
    Path config = DeployMethodsCliTest.bf16(DeployMethodsCliTest.config(tmp, "lora"));
    Path simulated = tmp.resolve("simulated");
    CliRun.Result sim = CliRun.run("simulate", config.toString(), "--out", simulated.toString());
    assertEquals(0, sim.code(), sim.err());
    Path cpuinfo = Files.writeString(tmp.resolve("cpuinfo"), "flags\t: fpu sse2 avx2 avx512f\n");
    Path certs = certs();
    Path deployed = tmp.resolve("deployed");
    try (Spawned server = Spawned.server(config, deployed, certs);
        Spawned node =
            node(
                config,
                server.address(),
                certs,
                "auto",
                Map.of(Precision.CPU_INFO_PROPERTY, cpuinfo.toString()))) {
      assertEquals(0, server.waitFor(), server.output());
      assertEquals(0, node.waitFor(), node.output());
      node.printedLine(
          "model precision: fp32 (auto: this CPU reports neither avx512_bf16 nor amx_bf16)");
      String following =
          "model.precision auto: following the server's run, bf16 (this CPU reports neither"
              + " avx512_bf16 nor amx_bf16, so bf16 products are slower here than fp32 ones)";
      node.printedLine(following);
      assertEquals(1, node.output().split(java.util.regex.Pattern.quote(following), -1).length - 1);
    }
    DeployMethodsCliTest.assertSameRun(simulated, deployed);
    DeployMethodsCliTest.assertBf16(deployed);
  }

  /**
   * The fp32 node refuses the bf16 server's run when it is welcomed, before any round: it tells the
   * server why, whose log names the node and both precisions, and stops for good with exit code 2
   * and one message naming its setting, the server's and what to change. It used to refuse each
   * round instead, and then reconnect with backoff for ever, as after any server that went away
   * (QA, 5 December), though it would refuse a resumed run all the same.
   */
  @Test
  void anFp32NodeRefusesABf16ServersRunAndStops() throws Exception {
    Path config = DeployMethodsCliTest.bf16(DeployMethodsCliTest.config(tmp, "lora"));
    Path certs = certs();
    Path deployed = tmp.resolve("deployed");
    String refusal =
        " cannot serve the server's run: it holds its frozen model in fp32 (model.precision fp32),"
            + " the server's run in bf16; set model.precision to bf16 on this node, or to auto,"
            + " with which a node follows the server's precision";
    try (Spawned server = Spawned.server(config, deployed, certs);
        Spawned node = node(config, server.address(), certs, "fp32", Map.of())) {
      // Bounded by the class's @Timeout: the old node never exits.
      assertEquals(2, node.waitFor(), node.output());
      String out = node.output();
      String error = node.printedLine("fedpeft node: client client-");
      assertTrue(error.endsWith(refusal), error);
      assertEquals(1, out.lines().filter(l -> l.startsWith("fedpeft node: ")).count(), out);
      assertFalse(out.contains("trying again"), out);
      assertFalse(out.contains("refuses the round"), out);
      String refused = server.awaitLine("network: refused client-");
      assertTrue(refused.contains("the node refuses this run: client client-"), refused);
      assertTrue(refused.contains(refusal), refused);
      assertFalse(server.output().contains("round 1"), server.output());
    }
  }
}
