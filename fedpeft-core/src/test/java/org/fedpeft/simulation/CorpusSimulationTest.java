package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.io.Sha256;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's own retrieval corpus in a simulation ({@code data.corpus} with query files): the head
 * scores the corpus's documents, the evaluation reports the retrieval metrics as on the bundled
 * retrieval task, and malformed files fail naming file and line.
 */
class CorpusSimulationTest {

  @TempDir Path tmp;

  private Path[] files() throws Exception {
    return TinyRuns.retrievalFiles(tmp);
  }

  private Map<String, String> options(Path corpus, Path queries, Path test) throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "1");
    o.put("clients", "3");
    o.put("clients_per_round", "3");
    o.put("data.file", queries.toString());
    o.put("data.test", test == null ? "" : test.toString());
    o.put("data.corpus", corpus.toString());
    o.put("data.partition", "labels");
    o.put("data.client_holdout", "0");
    o.put("model.name", TinyRuns.model(tmp.resolve("tiny")).toString());
    o.put("adapter.method", "softembed");
    o.put("server.strategy", "fedavg");
    o.put("client.local_steps", "2");
    o.put("client.batch_size", "4");
    return o;
  }

  @Test
  void theHeadScoresTheCorpusAndTheRunReportsRetrievalMetrics() throws Exception {
    Path[] f = files();
    Path out = tmp.resolve("run");
    JsonObject summary;
    try (Simulation sim =
        Simulation.create(SimulationConfig.of(Map.of(), options(f[0], f[1], f[2]), "test"), out)) {
      summary = sim.run(new Simulation.Listener() {});
    }
    JsonObject fin = summary.getAsJsonObject("final_metrics");
    assertEquals(
        List.of("accuracy", "loss", "recall@5", "recall@10", "mrr"),
        List.copyOf(fin.keySet()),
        fin.toString());
    // 6 documents: every relevant document is among the first 10, and among the first 5 unless
    // it ranks last.
    assertEquals(1.0, fin.get("recall@10").getAsDouble(), 0);
    assertTrue(fin.get("mrr").getAsDouble() >= 1.0 / 6, fin.toString());
    // The head's labels are the corpus's ids in corpus order.
    AdapterFiles.Saved saved = AdapterFiles.read(out.resolve("adapter"));
    assertEquals(List.of("d5", "d4", "d3", "d2", "d1", "d0"), saved.labels());
    // ... which the folder records, as train's does, for predict to refuse it.
    assertTrue(AdapterFiles.retrievalCorpus(out.resolve("adapter"), saved));
    // The corpus file's hash is recorded for --resume.
    JsonObject manifest =
        JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
    JsonObject files = manifest.getAsJsonObject("data").getAsJsonObject("files");
    assertEquals(Sha256.of(f[0]), files.get(f[0].toAbsolutePath().toString()).getAsString());
    // The partition over documents: each document's training queries are on one client, two
    // documents per client.
    JsonObject partition =
        JsonParser.parseString(Files.readString(out.resolve("partition.json"))).getAsJsonObject();
    JsonObject clients = partition.getAsJsonObject("clients");
    assertEquals(3, clients.size());
    int[] owners = new int[6];
    for (String id : clients.keySet()) {
      JsonArray row = clients.getAsJsonObject(id).getAsJsonArray("label_histogram");
      int held = 0;
      for (int d = 0; d < 6; d++) {
        int n = row.get(d).getAsInt();
        owners[d] += n > 0 ? 1 : 0;
        held += n > 0 ? 1 : 0;
      }
      assertEquals(2, held, "documents of " + id + ": " + row);
    }
    // timings.jsonl has the slowest client's fit time beside the sum over clients.
    JsonObject timing =
        JsonParser.parseString(Files.readAllLines(out.resolve("timings.jsonl")).get(0))
            .getAsJsonObject();
    assertTrue(
        timing.get("client_fit_seconds_max").getAsDouble()
            <= timing.get("client_fit_seconds").getAsDouble(),
        timing.toString());
    assertEquals("[1, 1, 1, 1, 1, 1]", java.util.Arrays.toString(owners), "clients per document");
  }

  @Test
  void headInitDocumentsSendsTheDocumentEmbeddingsAsTheFirstHead() throws Exception {
    Path[] f = files();
    Map<String, String> o = options(f[0], f[1], f[2]);
    o.put("head.init", "documents");
    o.put("head.scale", "12.5");
    Map<String, float[]> firstHead = new java.util.TreeMap<>();
    try (Simulation sim =
        Simulation.create(SimulationConfig.of(Map.of(), o, "test"), tmp.resolve("docinit"))) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            if (round == 1
                && phase == org.fedpeft.federation.CommunicationLog.Phase.FIT
                && direction == org.fedpeft.federation.CommunicationLog.Direction.DOWN) {
              try {
                org.fedpeft.io.SafetensorsFile m =
                    org.fedpeft.io.Safetensors.deserialize(bytes, "downlink");
                firstHead.put(client + "/w", m.floatTensor("classifier.weight").data());
                firstHead.put(client + "/b", m.floatTensor("classifier.bias").data());
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            }
          });
      sim.run(new Simulation.Listener() {});
    }
    // By hand: row d is 12.5 times the unit sentence embedding of document d (corpus order, which
    // is the head's label order), through the frozen encoder (the adapter starts as identity).
    org.fedpeft.model.PretrainedModel pm =
        org.fedpeft.model.PretrainedModel.load(o.get("model.name"));
    float[][] unit;
    try (ai.djl.ndarray.NDManager root = org.fedpeft.engine.Engines.pytorch().newBaseManager();
        org.fedpeft.model.BertEncoder enc = new org.fedpeft.model.BertEncoder(pm.weights(), root);
        org.fedpeft.model.TextTokenizer tok = pm.newTokenizer()) {
      unit =
          new org.fedpeft.model.SentenceEmbedder(enc, tok, org.fedpeft.model.EncoderHooks.NONE)
              .embed(List.of(TinyRuns.DOCS), 4);
    }
    assertEquals(
        6, firstHead.size(), "every one of the 3 clients got the head: " + firstHead.keySet());
    for (String key : firstHead.keySet()) {
      float[] v = firstHead.get(key);
      if (key.endsWith("/b")) {
        assertEquals(6, v.length);
        for (float b : v) {
          assertEquals(0f, b, key);
        }
        continue;
      }
      assertEquals(6 * 32, v.length);
      for (int d = 0; d < 6; d++) {
        for (int k = 0; k < 32; k++) {
          assertEquals(12.5 * unit[d][k], v[d * 32 + k], 1e-5, key + " row " + d);
        }
      }
    }

    Map<String, String> topics = options(f[0], f[1], f[2]);
    topics.put("head.init", "documents");
    topics.put("data.corpus", "");
    topics.put("data.file", "");
    topics.put("data.test", "");
    topics.put("data.task", "wordnet-pos");
    topics.put("data.partition", "iid");
    topics.put("data.max_train", "40");
    topics.put("data.max_eval", "20");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Simulation.create(
                    SimulationConfig.of(Map.of(), topics, "test"), tmp.resolve("docinit-refused")));
    assertTrue(
        e.getMessage().startsWith("head.init = \"documents\" needs single-task retrieval data"),
        e.getMessage());
  }

  /**
   * The head made from the documents is computed where the simulation is created, on the caller's
   * thread, whose gradient mode is whatever ran on it before (on in a new thread, off after a run):
   * libtorch's forward pass differs in the last bits between the two, so the run's files did. A run
   * created on a thread that records gradients ends with the bytes of one created on a thread that
   * does not.
   */
  @Test
  void theDocumentHeadDoesNotDependOnTheCreatingThreadsGradientMode() throws Exception {
    Path[] f = files();
    Map<String, String> o = options(f[0], f[1], f[2]);
    o.put("head.init", "documents");
    org.fedpeft.engine.Engines.pytorch();
    Path recording = runOnANewThread(o, true, "recording");
    Path notRecording = runOnANewThread(o, false, "not-recording");
    for (String file : List.of("adapter/adapter.safetensors", "metrics.jsonl")) {
      assertEquals(-1L, Files.mismatch(recording.resolve(file), notRecording.resolve(file)), file);
    }
  }

  /** Creates and runs a simulation on a new thread whose gradient mode is {@code gradMode}. */
  private Path runOnANewThread(Map<String, String> options, boolean gradMode, String name)
      throws Exception {
    Path out = tmp.resolve(name);
    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                ai.djl.pytorch.jni.JniUtils.setGradMode(gradMode);
                try (Simulation sim =
                    Simulation.create(SimulationConfig.of(Map.of(), options, "test"), out)) {
                  sim.run(new Simulation.Listener() {});
                }
              } catch (Throwable e) {
                failure.set(e);
              }
            },
            name);
    t.start();
    t.join();
    if (failure.get() != null) {
      throw new AssertionError(name + " failed", failure.get());
    }
    return out;
  }

  @Test
  void badFilesFailNamingFileAndLine() throws Exception {
    Path[] f = files();
    Path badDoc = tmp.resolve("bad-doc.jsonl");
    Files.write(
        badDoc,
        List.of("{\"text\": \"fine\", \"doc\": \"d1\"}", "{\"text\": \"lost\", \"doc\": \"d9\"}"));
    DataFormatException e =
        assertThrows(
            DataFormatException.class,
            () ->
                Simulation.create(
                    SimulationConfig.of(Map.of(), options(f[0], badDoc, f[2]), "test"),
                    tmp.resolve("r1")));
    assertEquals(
        badDoc.toAbsolutePath()
            + ":2: doc \"d9\" is not a document id of the corpus "
            + f[0].toAbsolutePath(),
        e.getMessage());

    Path dup = tmp.resolve("dup.jsonl");
    Files.write(
        dup, List.of("{\"id\": \"a\", \"text\": \"one\"}", "{\"id\": \"a\", \"text\": \"two\"}"));
    e =
        assertThrows(
            DataFormatException.class,
            () ->
                Simulation.create(
                    SimulationConfig.of(Map.of(), options(dup, f[1], f[2]), "test"),
                    tmp.resolve("r2")));
    assertEquals(
        dup.toAbsolutePath() + ":2: duplicate document id \"a\" (first on line 1)", e.getMessage());

    Path emptyText = tmp.resolve("empty-text.jsonl");
    Files.write(emptyText, List.of("{\"text\": \" \", \"doc\": \"d1\"}"));
    e =
        assertThrows(
            DataFormatException.class,
            () ->
                Simulation.create(
                    SimulationConfig.of(Map.of(), options(f[0], emptyText, f[2]), "test"),
                    tmp.resolve("r3")));
    assertEquals(emptyText.toAbsolutePath() + ":1: empty query text", e.getMessage());

    Map<String, String> noFile = options(f[0], f[1], null);
    noFile.put("data.file", "");
    ConfigException c =
        assertThrows(ConfigException.class, () -> SimulationConfig.of(Map.of(), noFile, "test"));
    assertTrue(c.getMessage().contains("data.corpus needs data.file"), c.getMessage());
  }
}
