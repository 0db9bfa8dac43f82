package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.peft.AdapterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 4 December: {@code train --adapter feddpa} trained the global and the local
 * LoRA together, unweighted (their sum), but evaluated and saved a model that uses the global one
 * alone (the instance weighting needs a local adapter trained by a client's federated rounds), so
 * it reported the accuracy of a model it had not trained (a tiny run: test accuracy 0.3333, loss
 * 1.0885 reported; the trained sum on the same examples 0.3667, loss 1.0742). The method declares
 * that centralised training cannot train it ({@code AdapterMethod.centralisedTrainingRefusal}), and
 * train refuses it, new or resumed, before anything is written, suggesting the equivalent LoRA.
 */
class FedDpaCentralisedTrainRefusedTest {

  @TempDir Path tmp;

  private CliRun.Result train(String options) {
    return CliRun.trainWithoutModel(tmp, "feddpa", options);
  }

  @Test
  void trainRefusesFedDpaBeforeTheRunFolderSuggestingTheLoraOfTheSum() {
    CliRun.Result r = train("");
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "fedpeft train: --adapter feddpa cannot be trained centralised (train): FedDPA's"
                    + " split into a global and a local adapter"),
        r.err());
    // LoRA's defaults are rank 8, alpha 16: the sum is rank 16 with the same scaling.
    assertTrue(
        r.err().contains("train adapter lora with rank=16,alpha=32 (the same scaling alpha / r)"),
        r.err());
    assertTrue(
        r.err().strip().endsWith("or run FedDPA federated with simulate (or server and clients)"),
        r.err());
    assertFalse(Files.exists(tmp.resolve("out")));

    // The LoRA options given carry over; the method is refused before its federated-only options.
    r = train("rank=4,alpha=6,dropout=0,targets=query,variant=F");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("lora with rank=8,alpha=12,dropout=0,targets=query (the same"), r.err());
    assertFalse(Files.exists(tmp.resolve("out")));
  }

  /** A run recorded before the refusal (train.json, no checkpoint) is refused on resume too. */
  @Test
  void aRecordedFedDpaRunIsRefusedOnResume() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("old-run"));
    JsonObject record = new JsonObject();
    record.addProperty("command", "train");
    JsonArray args = new JsonArray();
    for (String a :
        List.of(
            "--model",
            tmp.resolve("no-model").toString(),
            "--task",
            "wordnet-noun-topic",
            "--adapter",
            "feddpa",
            "--out",
            run.toString())) {
      args.add(a);
    }
    record.add("args", args);
    record.addProperty("cwd", tmp.toString());
    Files.writeString(run.resolve(TrainCommand.RUN_FILE), record.toString());

    CliRun.Result r = CliRun.run("train", "--resume", run.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("--adapter feddpa cannot be trained centralised (train): "), r.err());
    assertEquals(record.toString(), Files.readString(run.resolve(TrainCommand.RUN_FILE)));
  }

  /** The method declares it; the other methods train centralised. */
  @Test
  void theMethodDeclaresIt() {
    assertTrue(
        AdapterRegistry.get("feddpa")
            .centralisedTrainingRefusal(Map.of())
            .contains("exist only across federated rounds"));
    for (String m : List.of("lora", "ravan", "fedbe", "softembed")) {
      assertNull(AdapterRegistry.get(m).centralisedTrainingRefusal(Map.of()), m);
    }
  }
}
