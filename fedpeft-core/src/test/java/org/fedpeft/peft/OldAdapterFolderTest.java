package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import org.junit.jupiter.api.Test;

/**
 * An adapter folder written by fedpeft 0.1.0-SNAPSHOT before the versioned format existed (commit
 * 39691d5: {@code ./fedpeft simulate examples/fedit-noun-topic.toml --set rounds=3}, which reported
 * final accuracy 0.405 on the 1000 test examples) still loads, exactly: same tensors, same options,
 * the run seed recovered, and the same accuracy.
 */
class OldAdapterFolderTest {

  @Test
  void anAdapterFolderFromVersion010LoadsAndScoresAsItDid() throws Exception {
    AdapterFiles.Saved saved = AdapterFiles.read(folder());
    assertEquals(0, saved.formatVersion(), "written before the format existed");
    assertEquals("lora", saved.method());
    assertEquals(42, saved.adapterSeed(), "the run seed, recorded in extra.seed");
    assertEquals(25, saved.labels().size());
    assertEquals(24, saved.adapterTensors().size(), "A and B of query and value in 6 layers");
    try (FrozenBase base = new FrozenBase(PretrainedModel.load("all-minilm-l6-v2"));
        Adapter a = AdapterFiles.instantiate(folder(), saved, base.encoder());
        ClassificationHead head =
            new ClassificationHead(
                base.root(), base.encoder().config().hiddenSize(), saved.labels().size(), 0)) {
      for (Map.Entry<String, HostTensor> e : saved.adapterTensors().entrySet()) {
        assertArrayEquals(e.getValue().data(), a.state().get(e.getKey()).data(), e.getKey());
      }
      head.loadState(saved.headTensors());
      TaskSplits splits =
          Tasks.load(
              "wordnet-noun-topic",
              42,
              TaskOptions.defaults()
                  .withMaxTrain(TaskOptions.NO_CAP)
                  .withMaxValidation(1)
                  .withMaxTest(1000));
      Evaluation ev =
          new LocalTrainer(new ClassifierModel(base.encoder(), a, head))
              .evaluate(base.encode(splits.test().withLabels(saved.labels())), 64);
      assertEquals(1000, ev.examples());
      assertEquals(0.405, ev.accuracy(), 0);
    }
  }

  static Path folder() throws URISyntaxException {
    return Path.of(OldAdapterFolderTest.class.getResource("adapter-v0.1.0").toURI());
  }
}
