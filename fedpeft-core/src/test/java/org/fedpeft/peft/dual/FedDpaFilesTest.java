package org.fedpeft.peft.dual;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.client.ClientData;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.federation.ClientState;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.io.PeftFormatException;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.Role;
import org.fedpeft.run.Population;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.simulation.TinyRuns;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client's personalised FedDPA model written as an adapter folder ({@link AdapterFiles}): taken
 * from a simulation's checkpoint (the global adapter and head from the server state, the local
 * adapter and anchors from the client's state), saved, read back exactly with every tensor's role,
 * and evaluated as {@code fedpeft eval} evaluates a folder: to exactly what the client measured in
 * the run, with its local adapter and its stored anchors in use.
 */
class FedDpaFilesTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 120);
  }

  static SimulationConfig config(String direction) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "13");
    o.put("rounds", "2");
    o.put("clients", "3");
    o.put("clients_per_round", "3");
    o.put("data.file", data.toString());
    o.put("data.max_eval", "40");
    o.put("model.name", model.toString());
    o.put("adapter.method", "feddpa");
    o.put("adapter.rank", "4");
    o.put("adapter.weight_goes_to", direction);
    o.put("server.weighting", "uniform");
    o.put("client.local_steps", "4");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "2e-2");
    o.put("eval.every", "1");
    return SimulationConfig.of(Map.of(), o, "test");
  }

  @Test
  void aClientsSavedModelLoadsExactlyAndEvaluatesAsTheClientDidInTheRun() throws Exception {
    SimulationConfig c = config("global");
    Path out = tmp.resolve("run");
    try (Simulation sim = Simulation.create(c, out)) {
      sim.run(new Simulation.Listener() {});
    }
    RunCheckpoint cp = RunCheckpoint.load(out);
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    JsonObject last = JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
    JsonObject clientAccuracy = last.getAsJsonObject("client_accuracy");

    TaskSplits splits = Population.loadSplits(c);
    try (FrozenBase base = new FrozenBase(PretrainedModel.load(model.toString()))) {
      Population population = Population.build(c, splits, base);
      ClientData client = population.clients().get(1);
      ClientState local = cp.local().get(client.id());
      Map<String, HostTensor> adapterValues = new TreeMap<>(local.tensors());
      Map<String, HostTensor> head = new TreeMap<>();
      cp.state()
          .global()
          .forEach((k, v) -> (k.startsWith("classifier.") ? head : adapterValues).put(k, v));

      Path folder = tmp.resolve("client-model");
      Evaluation inMemory;
      double[] weightsInMemory;
      try (Adapter a =
              AdapterRegistry.get("feddpa").create(c.adapterOptions(), base.encoder(), c.seed());
          ClassificationHead h = head(base, splits)) {
        a.loadState(adapterValues);
        h.loadState(head);
        FedDpaAdapter dpa = (FedDpaAdapter) a;
        assertTrue(dpa.localReady());
        assertEquals(5, dpa.anchorCount(), "the default k = 5 anchors are stored");
        inMemory =
            new LocalTrainer(new ClassifierModel(base.encoder(), a, h))
                .evaluate(client.holdout(), 64);
        weightsInMemory = weights(base, dpa, client.holdout());
        AdapterFiles.save(folder, a, c.seed(), head, splits.labels(), "tiny", new JsonObject());
      }
      assertEquals(
          clientAccuracy.get(client.id()).getAsDouble(),
          inMemory.accuracy(),
          0,
          "the rebuilt model is what the client evaluated in the run");

      AdapterFiles.Saved saved = AdapterFiles.read(folder);
      assertEquals("feddpa", saved.method());
      assertEquals(adapterValues, saved.adapterTensors(), "every tensor saved exactly");
      // The simulation writes the same model as the client's own adapter folder.
      AdapterFiles.Saved runs =
          AdapterFiles.read(
              out.resolve(Simulation.CLIENTS_DIR).resolve(client.id()).resolve("adapter"));
      assertEquals(adapterValues, runs.adapterTensors(), "the run's folder of this client");
      assertEquals(head, runs.headTensors());
      saved
          .roles()
          .forEach(
              (name, role) ->
                  assertEquals(name.startsWith("global/") ? Role.GLOBAL : Role.LOCAL, role, name));
      assertTrue(saved.roles().containsKey(FedDpaAdapter.ANCHORS));
      try (Adapter loaded = AdapterFiles.instantiate(folder, saved, base.encoder());
          ClassificationHead h = head(base, splits)) {
        h.loadState(saved.headTensors());
        assertEquals(adapterValues, loaded.state());
        Evaluation ev =
            new LocalTrainer(new ClassifierModel(base.encoder(), loaded, h))
                .evaluate(client.holdout(), 64);
        assertEquals(inMemory.accuracy(), ev.accuracy(), 0);
        assertEquals(inMemory.loss(), ev.loss(), 0);
        assertArrayEquals(weightsInMemory, weights(base, (FedDpaAdapter) loaded, client.holdout()));
        for (double w : weightsInMemory) {
          assertTrue(w > 0 && w < 1, "instance weights from the stored anchors: " + w);
        }

        // Without its local adapter (status: never trained) the model is the global one alone,
        // and evaluates differently: the folder's local adapter and anchors are what eval used.
        Map<String, HostTensor> globalOnly = new TreeMap<>(saved.adapterTensors());
        float[] status = globalOnly.get(FedDpaAdapter.STATUS).data().clone();
        status[FedDpaAdapter.READY] = 0;
        globalOnly.put(FedDpaAdapter.STATUS, new HostTensor(new long[] {status.length}, status));
        loaded.loadState(globalOnly);
        Evaluation plain =
            new LocalTrainer(new ClassifierModel(base.encoder(), loaded, h))
                .evaluate(client.holdout(), 64);
        assertNotEquals(inMemory.loss(), plain.loss());
      }

      // A client that trained after its last evaluation is saved with a trained local adapter
      // and no current anchors: loading that folder is refused, naming it, instead of failing
      // at the first batch as an internal error.
      Map<String, HostTensor> stale = new TreeMap<>(saved.adapterTensors());
      float[] status = stale.get(FedDpaAdapter.STATUS).data().clone();
      status[FedDpaAdapter.ANCHOR_COUNT] = 0;
      stale.put(FedDpaAdapter.STATUS, new HostTensor(new long[] {status.length}, status));
      AdapterFiles.Saved staleSaved =
          new AdapterFiles.Saved(
              saved.method(),
              saved.options(),
              saved.adapterSeed(),
              saved.roles(),
              stale,
              saved.headTensors(),
              saved.labels(),
              saved.baseModel(),
              saved.extra(),
              saved.formatVersion(),
              saved.taskLabels(),
              saved.precision());
      PeftFormatException refused =
          assertThrows(
              PeftFormatException.class,
              () -> AdapterFiles.instantiate(folder, staleSaved, base.encoder()));
      assertEquals(folder, refused.file());
      assertTrue(
          refused.problem().startsWith("a FedDPA client model whose anchor embeddings are stale"),
          refused.getMessage());
    }
  }

  static ClassificationHead head(FrozenBase base, TaskSplits splits) {
    return new ClassificationHead(
        base.root(), base.encoder().config().hiddenSize(), splits.labels().size(), 0);
  }

  static double[] weights(FrozenBase base, FedDpaAdapter a, EncodedExamples examples) {
    int n = Math.min(8, examples.size());
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    try (NDScope scope = new NDScope();
        NDManager m = base.root().newSubManager()) {
      scope.suppressNotUsedWarning();
      TokenBatch b = examples.batch(idx);
      Shape s = new Shape(b.batchSize(), b.seqLen());
      return a.instanceWeights(m.create(b.ids(), s), m.create(b.mask(), s));
    }
  }
}
