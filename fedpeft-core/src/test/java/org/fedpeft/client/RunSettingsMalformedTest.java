package org.fedpeft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.heads.HeadLayout;
import org.junit.jupiter.api.Test;

/**
 * What {@link RunSettings#fromConfig} says about instructions it cannot read: each error names the
 * key. QA, 5 December: a malformed JSON value of {@code run.adapter.options} or {@code
 * run.head.tasks} in a round's instructions let Gson's exception through, which named neither the
 * key nor the value; the error now names the key and says what is wrong with it.
 */
class RunSettingsMalformedTest {

  private static final RunSettings TWO_TASKS =
      RunSettingsFixtures.classification(
          new ModelSpec(
              "lora",
              Map.of("rank", "2"),
              7,
              new HeadLayout(
                  List.of(new HeadLayout.Part("topic", 3), new HeadLayout.Part("pos", 2))),
              8),
          2,
          1e-2,
          4,
          0,
          1.0,
          0,
          null,
          "");

  private static String errorWith(String key, String value) {
    Map<String, String> c = new TreeMap<>(TWO_TASKS.toConfig());
    c.put(key, value);
    return assertThrows(IllegalArgumentException.class, () -> RunSettings.fromConfig(c))
        .getMessage();
  }

  @Test
  void theWellFormedConfigReadsBack() {
    assertEquals(TWO_TASKS, RunSettings.fromConfig(TWO_TASKS.toConfig()));
  }

  @Test
  void adapterOptionsThatAreNotValidJsonNameTheKey() {
    assertEquals(
        "the instructions' config 'run.adapter.options': not valid JSON: End of input at line 1"
            + " column 11 path $.rank (sent by a server of another version?)",
        errorWith("run.adapter.options", "{\"rank\": 2"));
  }

  @Test
  void adapterOptionsThatAreNotAnObjectOfPlainValuesNameTheKey() {
    assertEquals(
        "the instructions' config 'run.adapter.options' is not a JSON object: [\"rank\"]"
            + " (sent by a server of another version?)",
        errorWith("run.adapter.options", "[\"rank\"]"));
    assertEquals(
        "the instructions' config 'run.adapter.options' option 'rank' is not a plain value: null"
            + " (sent by a server of another version?)",
        errorWith("run.adapter.options", "{\"rank\": null}"));
    assertEquals(
        "the instructions' config 'run.adapter.options' option 'rank' is not a plain value: [2]"
            + " (sent by a server of another version?)",
        errorWith("run.adapter.options", "{\"rank\": [2]}"));
  }

  @Test
  void headTasksThatAreNotValidJsonNameTheKey() {
    assertEquals(
        "the instructions' config 'run.head.tasks': not valid JSON: End of input at line 1"
            + " column 12 path $[0][2] (sent by a server of another version?)",
        errorWith("run.head.tasks", "[[\"topic\",3"));
  }

  /**
   * QA, 5 December: the JSON values of the instructions were read with gson's lenient parser, so
   * options with the same key twice took the last value without a word (a rank of 4 here), and
   * comments, single quotes, unquoted names and NaN passed; they are now parsed as strictly as a
   * run folder's JSON files, and refused naming the key and what is wrong. Fails on the old code.
   */
  @Test
  void jsonValuesAreParsedStrictly() {
    assertEquals(
        "the instructions' config 'run.adapter.options': duplicate key 'rank' at line 1"
            + " column 16 (sent by a server of another version?)",
        errorWith("run.adapter.options", "{\"rank\": \"2\", \"rank\": \"4\"}"));
    assertEquals(
        "the instructions' config 'run.adapter.options': not valid JSON: content after the JSON"
            + " value at line 1 column 16 (sent by a server of another version?)",
        errorWith("run.adapter.options", "{\"rank\": \"2\"} // r"));
    assertEquals(
        "the instructions' config 'run.head.tasks': duplicate key 'topic' in [0] at line 1 column 16"
            + " (sent by a server of another version?)",
        errorWith("run.head.tasks", "[{\"topic\": 3, \"topic\": 2}]"));
    for (String lenient :
        List.of(
            "{'rank': '2'}",
            "{rank: 2}",
            "{\"rank\": NaN}",
            "{\"rank\": 2} {}",
            "{\"rank\": 2,}")) {
      String m = errorWith("run.adapter.options", lenient);
      assertTrue(
          m.startsWith("the instructions' config 'run.adapter.options': not valid JSON: "),
          lenient + " -> " + m);
    }
    assertEquals(
        "the instructions' config 'run.adapter.options': empty"
            + " (sent by a server of another version?)",
        errorWith("run.adapter.options", ""));
  }

  @Test
  void headTasksThatAreNotTaskLabelPairsNameTheKey() {
    assertEquals(
        "the instructions' config 'run.head.tasks' is not a JSON array: {}"
            + " (sent by a server of another version?)",
        errorWith("run.head.tasks", "{}"));
    for (String pair :
        List.of(
            "[\"topic\"]",
            "\"topic\"",
            "[\"topic\",\"3\"]",
            "[\"topic\",1.5]",
            "[\"topic\",3000000000]")) {
      assertEquals(
          "the instructions' config 'run.head.tasks' has "
              + pair
              + " where a [task, labels] pair belongs (sent by a server of another version?)",
          errorWith("run.head.tasks", "[" + pair + ",[\"pos\",2]]"));
    }
  }

  /**
   * QA, 5 December: the int-valued keys were read as longs and cast, so 4294967299 labels built a
   * head of 3 and 4294967298 local steps ran 2, without a word.
   */
  @Test
  void intKeysBeyondTheIntRangeAreRefusedNotWrapped() {
    assertEquals(
        "config 'run.head.labels' must be an integer, got '4294967299'",
        errorWith("run.head.labels", "4294967299"));
    assertEquals(
        "config 'local_steps' must be an integer, got '4294967298'",
        errorWith("local_steps", "4294967298"));
    assertEquals(
        "config 'run.batch_size' must be an integer, got '4294967300'",
        errorWith("run.batch_size", "4294967300"));
  }

  /**
   * QA, 5 December: instructions without {@code learning_rate} read as a learning rate of NaN,
   * which trained the model to NaN without a word, and sample-level DP settings lacking one of
   * their keys were refused for a NaN value ("dp clip_norm must be positive, got NaN") instead of
   * for the missing key, as every other missing key is.
   */
  @Test
  void aMissingLearningRateOrDpKeyIsNamed() {
    Map<String, String> c = new TreeMap<>(TWO_TASKS.toConfig());
    c.remove("learning_rate");
    assertEquals(
        "the instructions lack config 'learning_rate' (sent by a server of another version?)",
        assertThrows(IllegalArgumentException.class, () -> RunSettings.fromConfig(c)).getMessage());
    RunSettings dp =
        RunSettingsFixtures.classification(
            TWO_TASKS.model(),
            2,
            1e-2,
            4,
            0,
            1.0,
            0,
            new org.fedpeft.privacy.SampleLevelDp.Config(
                new org.fedpeft.privacy.DpSgd.Config(1.0, 0.5, 4), 8, 1e-5),
            "");
    assertEquals(dp, RunSettings.fromConfig(dp.toConfig()));
    for (String key :
        List.of("run.dp_sample.clip_norm", "run.dp_sample.epsilon", "run.dp_sample.delta")) {
      Map<String, String> without = new TreeMap<>(dp.toConfig());
      without.remove(key);
      assertEquals(
          "the instructions lack config '" + key + "' (sent by a server of another version?)",
          assertThrows(IllegalArgumentException.class, () -> RunSettings.fromConfig(without))
              .getMessage());
    }
  }

  /**
   * QA, 5 December: an unknown {@code run.objective} or a temperature that is not positive was
   * refused without the key ("temperature must be positive, got 0.0").
   */
  @Test
  void aBadObjectiveOrTemperatureNamesTheKey() {
    Map<String, String> c = new TreeMap<>(TWO_TASKS.toConfig());
    c.put("run.objective", "regression");
    assertEquals(
        "config 'run.objective': objective must be one of classification, contrastive, got"
            + " 'regression'",
        assertThrows(IllegalArgumentException.class, () -> RunSettings.fromConfig(c)).getMessage());
    c.put("run.objective", "contrastive");
    c.put("run.objective.temperature", "0");
    assertEquals(
        "config 'run.objective.temperature': temperature must be positive, got 0.0",
        assertThrows(IllegalArgumentException.class, () -> RunSettings.fromConfig(c)).getMessage());
    c.put("run.objective.temperature", "0.07");
    assertEquals(
        new org.fedpeft.train.Objective(org.fedpeft.train.Objective.Kind.CONTRASTIVE, 0.07),
        RunSettings.fromConfig(c).objective());
  }

  /**
   * Audit, leftovers: a negative {@code run.head.learning_rate} was refused by the record's own
   * check, without the key.
   */
  @Test
  void aNegativeHeadLearningRateNamesTheKey() {
    assertEquals(
        "config 'run.head.learning_rate': the head's learning rate must be 0 (the adapter's) or"
            + " positive, got -0.5",
        errorWith("run.head.learning_rate", "-0.5"));
    Map<String, String> c = new TreeMap<>(TWO_TASKS.toConfig());
    c.put("run.head.learning_rate", "0.25");
    assertEquals(0.25, RunSettings.fromConfig(c).headLearningRate());
  }

  /** A task of no labels, or two tasks of one name, are refused naming run.head.tasks too. */
  @Test
  void headTasksThatMakeNoHeadNameTheKey() {
    assertEquals(
        "the instructions' config 'run.head.tasks' is not a head layout: a head needs at least 1"
            + " label, got 0 (sent by a server of another version?)",
        errorWith("run.head.tasks", "[[\"topic\",0],[\"pos\",2]]"));
    assertEquals(
        "the instructions' config 'run.head.tasks' is not a head layout: every task of a"
            + " multi-task head needs a distinct name, got [Part[task=pos, labels=3], Part[task=pos,"
            + " labels=2]] (sent by a server of another version?)",
        errorWith("run.head.tasks", "[[\"pos\",3],[\"pos\",2]]"));
  }
}
