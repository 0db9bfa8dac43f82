package org.fedpeft.bench;

import com.google.gson.JsonObject;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.fedpeft.client.ClientData;
import org.fedpeft.client.ClientModels;
import org.fedpeft.client.PeftClient;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.grpc.CertificateGenerator;
import org.fedpeft.grpc.ClientNode;
import org.fedpeft.grpc.FederationServer;
import org.fedpeft.grpc.RunInfo;
import org.fedpeft.grpc.TlsFiles;
import org.fedpeft.grpc.Transport;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.run.Population;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.run.StrategyFactory;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.train.FrozenBase;

/**
 * The network path against the in-process simulation, over TCP on 127.0.0.1 with mutual TLS (the
 * deployment's transport, {@link Transport}); every mode prints the CPU model first.
 *
 * <ul>
 *   <li>{@code wire CONFIG [KEY=VALUE...]}: a server and the config's clients (in this JVM, each a
 *       {@link PeftClient} behind a {@link ClientNode}) talk through a TCP relay that counts the
 *       bytes it forwards each way; per round, those bytes on the wire (TLS records, HTTP/2 frames,
 *       the federation frames and the messages) against the round's communication log (the bytes of
 *       the serialized messages, {@code bytes_down + eval_bytes_down} and up).
 *   <li>{@code overhead CONFIG REPS [KEY=VALUE...]}: the same run {@code REPS} times each way,
 *       alternating: simulated in process, then over the network with the clients in this JVM; the
 *       round times of each and their difference.
 *   <li>{@code transport CONFIG REPS [KEY=VALUE...]}: the cost of the network path alone: the same
 *       rounds with clients that answer at once with the tensors they got (no training), in process
 *       and over the network (the nodes in this JVM), alternating {@code REPS} times; the round
 *       times of each and their difference.
 *   <li>{@code memory CONFIG N [KEY=VALUE...]}: the server in this JVM with {@code clients = N}
 *       nodes, all sampled every round, served by another process ({@code stubnode}) whose clients
 *       answer at once with the tensors they got; the server's resident memory and Java heap before
 *       the nodes connect, with N nodes connected, and at its peak over the rounds (run once per N,
 *       each in a fresh JVM, to compare N).
 * </ul>
 */
public final class GrpcBench {

  private GrpcBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("stubnode")) {
      stubNode(args);
      return;
    }
    BenchSupport.Args cli =
        BenchSupport.Args.of(
            args,
            2,
            Integer.MAX_VALUE,
            "GrpcBench wire CONFIG [KEY=VALUE...] | overhead|transport CONFIG REPS [KEY=VALUE...] |"
                + " memory CONFIG N [KEY=VALUE...]");
    String mode = cli.choice(0, "mode", "", "wire", "overhead", "memory", "transport");
    cli.file(1, "CONFIG");
    int from = 2;
    if (!mode.equals("wire")) {
      if (args.length < 3) {
        cli.refuse(mode + " needs " + (mode.equals("memory") ? "N" : "REPS") + " after CONFIG");
      }
      cli.count(2, mode.equals("memory") ? "N" : "REPS", 0);
      from = 3;
    }
    for (int i = from; i < args.length; i++) {
      if (!args[i].contains("=")) {
        cli.refuse("'" + args[i] + "' is not KEY=VALUE");
      }
    }
    System.out.println(MachineInfo.describe());
    System.out.println("load average at start: " + BenchSupport.load());
    switch (args[0]) {
      case "wire" -> wire(Path.of(args[1]), BenchSupport.overrides(args, 2));
      case "overhead" ->
          overhead(Path.of(args[1]), Integer.parseInt(args[2]), BenchSupport.overrides(args, 3));
      case "memory" ->
          memory(Path.of(args[1]), Integer.parseInt(args[2]), BenchSupport.overrides(args, 3));
      case "transport" ->
          transport(Path.of(args[1]), Integer.parseInt(args[2]), BenchSupport.overrides(args, 3));
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
    System.out.println("load average at end: " + BenchSupport.load());
  }

  // ------------------------------------------------------------------ wire

  private static void wire(Path configFile, Map<String, String> overrides) throws Exception {
    SimulationConfig config = SimulationConfig.load(configFile, overrides);
    Path work = Files.createTempDirectory("fedpeft-grpc-wire");
    Path certs = certificates(work, config.clients());
    long[] lastWire = new long[2];
    long[] totals = new long[4]; // wire down, wire up, log down, log up
    try (Network net = Network.start(config, work.resolve("run"), certs, true)) {
      long[] setup = net.relay.counts();
      System.out.printf(
          "connection set-up of %d nodes (TLS handshakes, HELLO/WELCOME): %d bytes down, %d up%n",
          config.clients(), setup[0], setup[1]);
      lastWire[0] = setup[0];
      lastWire[1] = setup[1];
      System.out.println(
          "round  wire_down  log_down  down_ratio  wire_up  log_up  up_ratio  (bytes; log ="
              + " serialized fit+evaluate messages)");
      net.run(
          (report, line) -> {
            long[] now = net.relay.counts();
            long wireDown = now[0] - lastWire[0];
            long wireUp = now[1] - lastWire[1];
            lastWire[0] = now[0];
            lastWire[1] = now[1];
            long logDown = num(line, "bytes_down") + num(line, "eval_bytes_down");
            long logUp = num(line, "bytes_up") + num(line, "eval_bytes_up");
            totals[0] += wireDown;
            totals[1] += wireUp;
            totals[2] += logDown;
            totals[3] += logUp;
            System.out.printf(
                "%5d  %9d  %8d  %10.4f  %7d  %6d  %8.4f%n",
                report.round(),
                wireDown,
                logDown,
                wireDown / (double) logDown,
                wireUp,
                logUp,
                wireUp / (double) logUp);
          });
    }
    System.out.printf(
        "all rounds: wire %d down / log %d = %.4f; wire %d up / log %d = %.4f%n",
        totals[0],
        totals[2],
        totals[0] / (double) totals[2],
        totals[1],
        totals[3],
        totals[1] / (double) totals[3]);
    BenchSupport.deleteTree(work);
  }

  private static long num(Map<String, Object> line, String key) {
    return line.get(key) instanceof Number n ? n.longValue() : 0;
  }

  // ------------------------------------------------------------------ overhead

  private static void overhead(Path configFile, int reps, Map<String, String> overrides)
      throws Exception {
    SimulationConfig config = SimulationConfig.load(configFile, overrides);
    Path work = Files.createTempDirectory("fedpeft-grpc-overhead");
    Path certs = certificates(work, config.clients());
    List<Double> simRounds = new ArrayList<>();
    List<Double> netRounds = new ArrayList<>();
    List<Double> simTotal = new ArrayList<>();
    List<Double> netTotal = new ArrayList<>();
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      try (Simulation sim = Simulation.create(config, work.resolve("sim-" + r))) {
        sim.run(
            new Simulation.Listener() {
              @Override
              public void onRound(RoundReport report, Map<String, Object> line) {
                simRounds.add(report.seconds());
              }
            });
      }
      simTotal.add((System.nanoTime() - t0) / 1e9);
      long t1 = System.nanoTime();
      try (Network net = Network.start(config, work.resolve("net-" + r), certs, false)) {
        net.run((report, line) -> netRounds.add(report.seconds()));
      }
      netTotal.add((System.nanoTime() - t1) / 1e9);
      System.out.printf(
          "rep %d: simulate %.2f s, network %.2f s (whole runs, model loads included)%n",
          r + 1, simTotal.get(r), netTotal.get(r));
    }
    double s = BenchSupport.median(simRounds);
    double n = BenchSupport.median(netRounds);
    System.out.println("simulate round: " + BenchSupport.summary(simRounds));
    System.out.println("network round:  " + BenchSupport.summary(netRounds));
    System.out.printf(
        "network round overhead: %+.4f s per round (median), ratio %.4f%n", n - s, n / s);
    BenchSupport.deleteTree(work);
  }

  // ------------------------------------------------------------------ transport

  private static void transport(Path configFile, int reps, Map<String, String> overrides)
      throws Exception {
    SimulationConfig config = SimulationConfig.load(configFile, overrides);
    Path work = Files.createTempDirectory("fedpeft-grpc-transport");
    Path certs = certificates(work, config.clients());
    List<Double> simRounds = new ArrayList<>();
    List<Double> netRounds = new ArrayList<>();
    Simulation.Listener collectSim =
        new Simulation.Listener() {
          @Override
          public void onRound(RoundReport report, Map<String, Object> line) {
            simRounds.add(report.seconds());
          }
        };
    Simulation.Listener collectNet =
        new Simulation.Listener() {
          @Override
          public void onRound(RoundReport report, Map<String, Object> line) {
            netRounds.add(report.seconds());
          }
        };
    for (int r = 0; r < reps; r++) {
      try (Simulation sim = Simulation.create(config, work.resolve("sim-" + r))) {
        sim.run(collectSim, c -> echo());
      }
      try (Simulation sim = Simulation.create(config, work.resolve("net-" + r))) {
        List<String> ids = sim.clients().stream().map(ClientData::id).toList();
        FederationServer federation =
            new FederationServer(
                FederationServer.Options.defaults()
                    .withPopulation(ids)
                    .withRunInfo(new RunInfo(sim.splits().labels(), sim.splits().tasks())));
        Server server =
            Transport.startServer(
                new InetSocketAddress("127.0.0.1", 0), TlsFiles.server(certs), federation);
        List<ClientNode> nodes = new ArrayList<>();
        List<ManagedChannel> channels = new ArrayList<>();
        try {
          for (String id : ids) {
            ManagedChannel ch =
                Transport.channel("127.0.0.1", server.getPort(), TlsFiles.client(certs, id));
            channels.add(ch);
            ClientNode node = new ClientNode(ch, echo(), ClientNode.Options.defaults(id));
            nodes.add(node);
            node.start();
          }
          if (!federation.awaitConnected(ids.size(), Duration.ofMinutes(5))) {
            throw new IllegalStateException("the nodes did not connect");
          }
          sim.run(collectNet, c -> federation.clientApp(c.id()));
          federation.finish("the benchmark is over");
        } finally {
          nodes.forEach(ClientNode::close);
          federation.close();
          server.shutdownNow();
          channels.forEach(ManagedChannel::shutdownNow);
        }
      }
    }
    double s = BenchSupport.median(simRounds);
    double n = BenchSupport.median(netRounds);
    System.out.println("in process, answering clients: " + BenchSupport.summary(simRounds));
    System.out.println("over the network, same:        " + BenchSupport.summary(netRounds));
    System.out.printf(
        "network path: %+.4f s per round of %d clients (median), %+.2f ms per client call%n",
        n - s, config.clientsPerRound(), (n - s) * 1000 / config.clientsPerRound());
    BenchSupport.deleteTree(work);
  }

  /** A client that answers a fit with the tensors it got and an evaluation with zeros, at once. */
  private static ClientApp echo() {
    return new ClientApp() {
      @Override
      public ClientUpdate fit(FitInstructions ins) {
        return new ClientUpdate(ins.clientId(), ins.tensors(), 1);
      }

      @Override
      public EvaluateResult evaluate(EvaluateInstructions ins) {
        return new EvaluateResult(ins.clientId(), 1, Map.of("accuracy", 0.0, "loss", 0.0));
      }
    };
  }

  // ------------------------------------------------------------------ memory

  private static void memory(Path configFile, int nodes, Map<String, String> overrides)
      throws Exception {
    Map<String, String> o = new HashMap<>(overrides);
    o.put("clients", Integer.toString(nodes));
    o.put("clients_per_round", Integer.toString(nodes));
    SimulationConfig config = SimulationConfig.load(configFile, o);
    Path work = Files.createTempDirectory("fedpeft-grpc-memory");
    Path certs = certificates(work, nodes);
    try (Simulation sim = Simulation.create(config, work.resolve("run"))) {
      List<String> ids = sim.clients().stream().map(ClientData::id).toList();
      FederationServer federation =
          new FederationServer(
              FederationServer.Options.defaults()
                  .withPopulation(ids)
                  .withRunInfo(new RunInfo(sim.splits().labels(), sim.splits().tasks())));
      Server server =
          Transport.startServer(
              new InetSocketAddress("127.0.0.1", 0), TlsFiles.server(certs), federation);
      Process stub = null;
      try {
        double[] before = settle();
        System.out.printf(
            "server before nodes connect: RSS %.1f MiB, heap used %.1f MiB%n",
            before[0], before[1]);
        List<String> command =
            new ArrayList<>(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx2g",
                    "-cp",
                    System.getProperty("java.class.path"),
                    GrpcBench.class.getName(),
                    "stubnode",
                    "127.0.0.1:" + server.getPort(),
                    certs.toString(),
                    Integer.toString(nodes)));
        stub = new ProcessBuilder(command).inheritIO().start();
        if (!federation.awaitConnected(nodes, Duration.ofMinutes(10))) {
          throw new IllegalStateException("the stub nodes did not connect");
        }
        double[] connected = settle();
        System.out.printf(
            "server with %d nodes connected: RSS %.1f MiB (%+.1f), heap used %.1f MiB (%+.1f);"
                + " %.1f KiB RSS per node%n",
            nodes,
            connected[0],
            connected[0] - before[0],
            connected[1],
            connected[1] - before[1],
            (connected[0] - before[0]) * 1024 / nodes);
        PeakSampler peak = new PeakSampler();
        peak.start();
        long[] upPerClient = new long[1];
        JsonObject summary =
            sim.run(
                new Simulation.Listener() {
                  @Override
                  public void onRound(RoundReport report, Map<String, Object> line) {
                    upPerClient[0] = num(line, "bytes_up") / Math.max(1, report.accepted().size());
                  }
                },
                c -> federation.clientApp(c.id()));
        peak.stop();
        double[] after = settle();
        System.out.printf(
            "server over %d rounds of %d clients (%d bytes per update): peak RSS %.1f MiB (%+.1f"
                + " over connected), peak heap in use %.1f MiB (garbage included), peak heap live"
                + " after a collection %.1f MiB; after the run: RSS %.1f MiB, heap used %.1f MiB%n",
            summary.get("rounds").getAsInt(),
            nodes,
            upPerClient[0],
            peak.maxRss,
            peak.maxRss - connected[0],
            peak.maxHeap,
            peak.maxLive,
            after[0],
            after[1]);
        System.out.printf(
            "VmHWM (whole process life): %.1f MiB%n", BenchSupport.statusMiB("VmHWM"));
        federation.finish("the benchmark is over");
        stub.waitFor();
      } finally {
        federation.close();
        server.shutdownNow();
        if (stub != null) {
          stub.destroyForcibly();
        }
      }
    }
    BenchSupport.deleteTree(work);
  }

  /** RSS and heap used (MiB) after two full collections. */
  private static double[] settle() {
    System.gc();
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return new double[] {
      BenchSupport.statusMiB("VmRSS"), (rt.totalMemory() - rt.freeMemory()) / 1048576.0
    };
  }

  /**
   * Polls every 20 ms on a daemon thread and keeps the largest: RSS, heap in use (garbage
   * included), and the heap still in use after the latest collection (live data, as the collector
   * last saw it).
   */
  private static final class PeakSampler {
    volatile boolean running = true;
    volatile double maxRss;
    volatile double maxHeap;
    volatile double maxLive;
    private Thread thread;

    void start() {
      thread =
          new Thread(
              () -> {
                Runtime rt = Runtime.getRuntime();
                while (running) {
                  maxRss = Math.max(maxRss, BenchSupport.statusMiB("VmRSS"));
                  maxHeap = Math.max(maxHeap, (rt.totalMemory() - rt.freeMemory()) / 1048576.0);
                  long live = 0;
                  for (java.lang.management.MemoryPoolMXBean pool :
                      java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
                    java.lang.management.MemoryUsage afterGc = pool.getCollectionUsage();
                    if (pool.getType() == java.lang.management.MemoryType.HEAP && afterGc != null) {
                      live += afterGc.getUsed();
                    }
                  }
                  maxLive = Math.max(maxLive, live / 1048576.0);
                  try {
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "peak-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }
  }

  /**
   * {@code stubnode HOST:PORT CERTS N}: N nodes (client ids of a population of N) whose clients
   * answer a fit with the tensors they got and an evaluation with zeros, at once.
   */
  private static void stubNode(String[] args) throws Exception {
    InetSocketAddress address = Transport.parseAddress(args[1]);
    Path certs = Path.of(args[2]);
    int n = Integer.parseInt(args[3]);
    List<ClientNode> nodes = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = Population.clientId(i, n);
      ManagedChannel ch =
          Transport.channel(address.getHostString(), address.getPort(), TlsFiles.client(certs, id));
      channels.add(ch);
      ClientNode node = new ClientNode(ch, echo(), ClientNode.Options.defaults(id));
      nodes.add(node);
      node.start();
    }
    for (ClientNode node : nodes) {
      node.awaitFinished();
      node.close();
    }
    channels.forEach(ManagedChannel::shutdownNow);
  }

  // ------------------------------------------------------------------ shared

  private static Path certificates(Path work, int clients) throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      names.add(Population.clientId(i, clients));
    }
    Path dir = work.resolve("certs");
    new CertificateGenerator(Duration.ofDays(1))
        .write(dir, List.of("localhost", "127.0.0.1"), names);
    return dir;
  }

  /** What a network run reports after each round. */
  private interface RoundCallback {
    void onRound(RoundReport report, Map<String, Object> line);
  }

  /**
   * A server (a {@link Simulation} whose clients are remote nodes) and every client of the
   * population as a {@link PeftClient} behind a {@link ClientNode} in this JVM, over TCP with
   * mutual TLS, optionally through a {@link CountingRelay}.
   */
  private static final class Network implements AutoCloseable {
    final Simulation sim;
    final FederationServer federation;
    final Server server;
    final CountingRelay relay;
    final FrozenBase clientBase;
    final List<ClientNode> nodes = new ArrayList<>();
    final List<ManagedChannel> channels = new ArrayList<>();

    private Network(
        Simulation sim,
        FederationServer federation,
        Server server,
        CountingRelay relay,
        FrozenBase clientBase) {
      this.sim = sim;
      this.federation = federation;
      this.server = server;
      this.relay = relay;
      this.clientBase = clientBase;
    }

    static Network start(SimulationConfig config, Path out, Path certs, boolean counted)
        throws Exception {
      Simulation sim = Simulation.create(config, out);
      List<String> ids = sim.clients().stream().map(ClientData::id).toList();
      FederationServer federation =
          new FederationServer(
              FederationServer.Options.defaults()
                  .withPopulation(ids)
                  .withRunInfo(new RunInfo(sim.splits().labels(), sim.splits().tasks())));
      Server server =
          Transport.startServer(
              new InetSocketAddress("127.0.0.1", 0), TlsFiles.server(certs), federation);
      CountingRelay relay = counted ? new CountingRelay(server.getPort()) : null;
      int port = counted ? relay.port() : server.getPort();
      FrozenBase base = new FrozenBase(PretrainedModel.load(config.model()));
      Network net = new Network(sim, federation, server, relay, base);
      TaskSplits splits = Population.loadSplits(config);
      Population population = Population.build(config, splits, base);
      ClientModels models = new ClientModels(base);
      ClientStateStore store = ClientStateStore.inMemory();
      for (ClientData d : population.clients()) {
        ManagedChannel ch = Transport.channel("127.0.0.1", port, TlsFiles.client(certs, d.id()));
        net.channels.add(ch);
        PeftClient client =
            new PeftClient(
                d,
                models,
                store,
                StrategyFactory.sampleNoise(config, d.index()),
                config.threadsPerClient());
        ClientNode node = new ClientNode(ch, client, ClientNode.Options.defaults(d.id()));
        net.nodes.add(node);
        node.start();
      }
      if (!federation.awaitConnected(ids.size(), Duration.ofMinutes(5))) {
        net.close();
        throw new IllegalStateException("the nodes did not connect");
      }
      return net;
    }

    void run(RoundCallback callback) throws Exception {
      sim.run(
          new Simulation.Listener() {
            @Override
            public void onRound(RoundReport report, Map<String, Object> line) {
              callback.onRound(report, line);
            }
          },
          c -> federation.clientApp(c.id()));
      federation.finish("the benchmark is over");
    }

    @Override
    public void close() throws IOException {
      nodes.forEach(ClientNode::close);
      federation.close();
      server.shutdownNow();
      channels.forEach(ManagedChannel::shutdownNow);
      if (relay != null) {
        relay.close();
      }
      clientBase.close();
      sim.close();
    }
  }

  /**
   * A TCP relay on 127.0.0.1 that forwards every connection to a target port and counts the bytes
   * it forwards each way: what the two sides put on the wire (TCP payload).
   */
  private static final class CountingRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final AtomicLong down = new AtomicLong();
    private final AtomicLong up = new AtomicLong();
    private final List<Socket> sockets = new ArrayList<>();

    CountingRelay(int target) throws IOException {
      this.target = target;
      this.listener = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(this::accept, "relay-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    /** Bytes forwarded so far: {down (server to nodes), up}. */
    long[] counts() {
      return new long[] {down.get(), up.get()};
    }

    private void accept() {
      while (!listener.isClosed()) {
        try {
          Socket node = listener.accept();
          Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
          node.setTcpNoDelay(true);
          server.setTcpNoDelay(true);
          synchronized (sockets) {
            sockets.add(node);
            sockets.add(server);
          }
          pump(node, server, up);
          pump(server, node, down);
        } catch (IOException e) {
          return;
        }
      }
    }

    private static void pump(Socket from, Socket to, AtomicLong count) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[64 * 1024];
                try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                  int n;
                  while ((n = in.read(buf)) >= 0) {
                    count.addAndGet(n); // counted before the other side can see them
                    out.write(buf, 0, n);
                    out.flush();
                  }
                } catch (IOException e) {
                  // a side closed
                } finally {
                  try {
                    to.shutdownOutput();
                  } catch (IOException e) {
                    // already closed
                  }
                }
              },
              "relay-pump");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      listener.close();
      synchronized (sockets) {
        for (Socket s : sockets) {
          s.close();
        }
      }
    }
  }
}
