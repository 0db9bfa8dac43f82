package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.FrozenBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft embed --adapter}: a saved FedBE adapter (new blocks moved away from their init)
 * gives the expanded model's embeddings, equal to those the adapter computes in-process.
 */
class EmbedCliTest {

  @TempDir Path tmp;

  static final List<String> TEXTS = List.of("a cat", "a dog sat on the mat");

  static float[] row(String line) {
    JsonArray a = JsonParser.parseString(line).getAsJsonArray();
    float[] v = new float[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).getAsFloat();
    }
    return v;
  }

  @Test
  void embedWithAFedBeAdapterGivesTheExpandedModelsEmbeddings() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny"));
    Path dir = tmp.resolve("adapter");
    float[][] expected;
    try (FrozenBase base = new FrozenBase(PretrainedModel.load(model.toString()));
        Adapter a = AdapterRegistry.get("fedbe").create(Map.of("blocks", "2"), base.encoder(), 0)) {
      SplittableRandom rng = new SplittableRandom(1);
      for (AdapterTensor t : a.tensors()) {
        float[] d = t.array().toFloatArray();
        for (int i = 0; i < d.length; i++) {
          d[i] += (float) (rng.nextDouble() - 0.5) * 0.2f;
        }
        Adapter.Tensors.assign(t.array(), d);
      }
      int hidden = base.encoder().config().hiddenSize();
      Map<String, HostTensor> head =
          Map.of(
              "classifier.weight",
              new HostTensor(new long[] {2, hidden}, new float[2 * hidden]),
              "classifier.bias",
              new HostTensor(new long[] {2}, new float[2]));
      AdapterFiles.save(dir, a, 0, head, List.of("x", "y"), model.toString(), new JsonObject());
      expected = new SentenceEmbedder(base.encoder(), base.tokenizer(), a).embed(TEXTS, 4);
    }
    CliRun.Result plain =
        CliRun.run("embed", "--model", model.toString(), TEXTS.get(0), TEXTS.get(1));
    CliRun.Result adapted =
        CliRun.run(
            "embed",
            "--model",
            model.toString(),
            "--adapter",
            dir.toString(),
            TEXTS.get(0),
            TEXTS.get(1));
    assertEquals(0, adapted.code(), adapted.err());
    List<String> lines = adapted.out().lines().toList();
    List<String> base = plain.out().lines().toList();
    assertEquals(2, lines.size());
    for (int t = 0; t < 2; t++) {
      float[] got = row(lines.get(t));
      for (int i = 0; i < got.length; i++) {
        assertEquals(expected[t][i], got[i], 1e-6, "text " + t + " value " + i);
      }
      assertNotEquals(base.get(t), lines.get(t), "the new blocks change the embedding");
    }
  }

  @Test
  void embedRejectsAFolderThatIsNoAdapter() {
    CliRun.Result r = CliRun.run("embed", "--adapter", tmp.resolve("none").toString(), "a cat");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(tmp.resolve("none") + ": no such folder"), r.err());
    r = CliRun.run("embed", "--adapter", tmp.toString(), "a cat");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(tmp + ": not an adapter folder (it has neither"), r.err());
  }
}
