package org.fedpeft.client;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.federation.ConfigKeys;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.train.Objective;

/**
 * Everything a client needs to know about the run, carried in the config of every instruction, so
 * that one client implementation serves the simulation and a network deployment unchanged: the
 * model to build, the local hyperparameters, sample-level DP settings, and the fingerprint of the
 * FROZEN_SHARED tensors.
 *
 * <p>This is the one place that names the {@code run.*} keys, but for the base model's ({@link
 * BaseModel#KEY}); the local steps, learning rate and proximal mu travel under {@link ConfigKeys}'
 * names, which a strategy may also set per client. {@link #fromConfig} reads back what {@link
 * #toConfig} wrote, except a classification objective's temperature, which classification does not
 * read and is not sent (it reads back as {@link Objective#DEFAULT_TEMPERATURE}).
 *
 * @param model what to build
 * @param localSteps optimiser steps per round (a strategy may override per client with {@link
 *     ConfigKeys#LOCAL_STEPS})
 * @param learningRate peak local learning rate
 * @param batchSize mini-batch size (the expected batch size under DP-SGD)
 * @param weightDecay AdamW's decoupled weight decay
 * @param maxGradNorm gradient clipping norm (0: none)
 * @param proximalMu FedProx's mu (0: none)
 * @param sampleDp sample-level DP-SGD settings, or null for none
 * @param frozenSharedSha256 the fingerprint of the model's FROZEN_SHARED tensors as the server
 *     built them (see {@link FrozenShared}), or empty for none
 * @param objective what local training minimises (instructions without it: classification)
 * @param headLearningRate peak learning rate of the classification head, or 0 for {@code
 *     learningRate} (instructions without it: 0)
 * @param baseModel the frozen model the server computes with ({@link BaseModel#of}: its digest and
 *     precision), which a client checks its own against ({@link BaseModel#check}); empty for none
 *     (instructions without it: nothing is checked)
 */
public record RunSettings(
    ModelSpec model,
    int localSteps,
    double learningRate,
    int batchSize,
    double weightDecay,
    double maxGradNorm,
    double proximalMu,
    SampleLevelDp.Config sampleDp,
    String frozenSharedSha256,
    Objective objective,
    double headLearningRate,
    String baseModel) {

  private static final String METHOD = "run.adapter.method";
  private static final String OPTIONS = "run.adapter.options";
  private static final String ADAPTER_SEED = "run.adapter.seed";
  private static final String LABELS = "run.head.labels";
  private static final String HEAD_SEED = "run.head.seed";
  private static final String HEAD_TASKS = "run.head.tasks";
  private static final String BATCH = "run.batch_size";
  private static final String DECAY = "run.weight_decay";
  private static final String CLIP = "run.max_grad_norm";
  private static final String DP_CLIP = "run.dp_sample.clip_norm";
  private static final String DP_NOISE = "run.dp_sample.noise_multiplier";
  private static final String DP_EPSILON = "run.dp_sample.epsilon";
  private static final String DP_DELTA = "run.dp_sample.delta";

  private static final String OBJECTIVE = "run.objective";
  private static final String TEMPERATURE = "run.objective.temperature";
  private static final String HEAD_LR = "run.head.learning_rate";

  /** Checks that the objective and base model are given and the head's rate is 0 or positive. */
  public RunSettings {
    if (baseModel == null) {
      throw new IllegalArgumentException("the base model must be given (empty for none)");
    }
    if (objective == null) {
      throw new IllegalArgumentException("the objective must be given");
    }
    requireHeadRate(headLearningRate);
  }

  /** Refuses a head learning rate that is negative, NaN or infinite. */
  private static void requireHeadRate(double rate) {
    if (!(rate >= 0) || !Double.isFinite(rate)) {
      throw new IllegalArgumentException(
          "the head's learning rate must be 0 (the adapter's) or positive, got " + rate);
    }
  }

  /** The head's peak learning rate when the adapter's is {@code lr}. */
  public double headLearningRate(double lr) {
    return headLearningRate > 0 ? headLearningRate : lr;
  }

  /** The config key of the FROZEN_SHARED fingerprint. */
  public static final String FROZEN_SHARED = "run.frozen_shared.sha256";

  /** The settings as instruction config entries. */
  public Map<String, String> toConfig() {
    Map<String, String> c = new TreeMap<>();
    c.put(METHOD, model.method() == null ? "none" : model.method());
    c.put(OPTIONS, new Gson().toJson(model.options()));
    c.put(ADAPTER_SEED, Long.toString(model.adapterSeed()));
    c.put(LABELS, Integer.toString(model.numLabels()));
    if (model.head().multiTask()) {
      // [[task, labels], ...] in output order
      JsonArray parts = new JsonArray();
      for (HeadLayout.Part p : model.head().parts()) {
        JsonArray one = new JsonArray();
        one.add(p.task());
        one.add(p.labels());
        parts.add(one);
      }
      c.put(HEAD_TASKS, parts.toString());
    }
    c.put(HEAD_SEED, Long.toString(model.headSeed()));
    c.put(ConfigKeys.LOCAL_STEPS, Integer.toString(localSteps));
    c.put(ConfigKeys.LEARNING_RATE, Double.toString(learningRate));
    c.put(BATCH, Integer.toString(batchSize));
    c.put(DECAY, Double.toString(weightDecay));
    c.put(CLIP, Double.toString(maxGradNorm));
    c.put(ConfigKeys.PROXIMAL_MU, Double.toString(proximalMu));
    if (sampleDp != null) {
      c.put(DP_CLIP, Double.toString(sampleDp.dpSgd().clipNorm()));
      c.put(DP_NOISE, Double.toString(sampleDp.dpSgd().noiseMultiplier()));
      c.put(DP_EPSILON, Double.toString(sampleDp.epsilonBudget()));
      // Sent also with sigma = 0, where no client's epsilon depends on it: fromConfig needs it
      // for a valid SampleLevelDp.Config, and clients of earlier versions require it.
      c.put(DP_DELTA, Double.toString(sampleDp.delta()));
    }
    if (!frozenSharedSha256.isEmpty()) {
      c.put(FROZEN_SHARED, frozenSharedSha256);
    }
    if (objective.contrastive()) {
      // Classification runs send nothing, so their instructions are as before.
      c.put(OBJECTIVE, objective.id());
      c.put(TEMPERATURE, Double.toString(objective.temperature()));
    }
    if (headLearningRate > 0) {
      c.put(HEAD_LR, Double.toString(headLearningRate));
    }
    if (!baseModel.isEmpty()) {
      c.put(BaseModel.KEY, baseModel);
    }
    return c;
  }

  /**
   * Reads the settings from an instruction's config.
   *
   * @throws IllegalArgumentException naming a missing key, or one whose value is malformed (a
   *     number, {@code run.objective} and its temperature, a negative {@code
   *     run.head.learning_rate}; {@code run.adapter.options} must be a JSON object of plain values,
   *     {@code run.head.tasks} a JSON array of {@code [task, labels]} pairs, both strict JSON
   *     without a repeated key, as {@link JsonFiles#parse} reads it)
   */
  public static RunSettings fromConfig(Map<String, String> c) {
    String method = required(c, METHOD);
    JsonElement o = json(c, OPTIONS);
    if (!o.isJsonObject()) {
      throw malformed(OPTIONS, "is not a JSON object: " + o);
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : o.getAsJsonObject().entrySet()) {
      if (!e.getValue().isJsonPrimitive()) {
        throw malformed(
            OPTIONS, "option '" + e.getKey() + "' is not a plain value: " + e.getValue());
      }
      options.put(e.getKey(), e.getValue().getAsString());
    }
    HeadLayout head = HeadLayout.single(intOf(c, LABELS));
    if (c.containsKey(HEAD_TASKS)) {
      JsonElement tasks = json(c, HEAD_TASKS);
      if (!tasks.isJsonArray()) {
        throw malformed(HEAD_TASKS, "is not a JSON array: " + tasks);
      }
      List<HeadLayout.Part> parts = new ArrayList<>();
      for (JsonElement e : tasks.getAsJsonArray()) {
        parts.add(taskPart(e));
      }
      try {
        head = new HeadLayout(parts);
      } catch (IllegalArgumentException e) {
        throw malformed(HEAD_TASKS, "is not a head layout: " + e.getMessage());
      }
    }
    ModelSpec model =
        new ModelSpec(
            method.equals("none") ? null : method,
            options,
            longOf(c, ADAPTER_SEED),
            head,
            longOf(c, HEAD_SEED));
    SampleLevelDp.Config dp = null;
    if (c.containsKey(DP_NOISE)) {
      dp =
          new SampleLevelDp.Config(
              new DpSgd.Config(doubleOf(c, DP_CLIP), doubleOf(c, DP_NOISE), intOf(c, BATCH)),
              doubleOf(c, DP_EPSILON),
              doubleOf(c, DP_DELTA));
    }
    return new RunSettings(
        model,
        intOf(c, ConfigKeys.LOCAL_STEPS),
        doubleOf(c, ConfigKeys.LEARNING_RATE),
        intOf(c, BATCH),
        ConfigKeys.getDouble(c, DECAY, 0),
        ConfigKeys.getDouble(c, CLIP, 0),
        ConfigKeys.getDouble(c, ConfigKeys.PROXIMAL_MU, 0),
        dp,
        c.getOrDefault(FROZEN_SHARED, ""),
        c.containsKey(OBJECTIVE) ? objective(c) : Objective.CLASSIFICATION,
        headRate(c),
        c.getOrDefault(BaseModel.KEY, ""));
  }

  /** {@code run.head.learning_rate}, 0 if absent. */
  private static double headRate(Map<String, String> c) {
    double rate = ConfigKeys.getDouble(c, HEAD_LR, 0);
    try {
      requireHeadRate(rate);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("config '" + HEAD_LR + "': " + e.getMessage(), e);
    }
    return rate;
  }

  /** The objective {@code run.objective} names, with {@code run.objective.temperature}. */
  private static Objective objective(Map<String, String> c) {
    Objective kind;
    try {
      kind = Objective.parse(c.get(OBJECTIVE), Objective.DEFAULT_TEMPERATURE);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("config '" + OBJECTIVE + "': " + e.getMessage(), e);
    }
    double temperature = ConfigKeys.getDouble(c, TEMPERATURE, Objective.DEFAULT_TEMPERATURE);
    try {
      return new Objective(kind.kind(), temperature);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("config '" + TEMPERATURE + "': " + e.getMessage(), e);
    }
  }

  private static String required(Map<String, String> c, String key) {
    String v = c.get(key);
    if (v == null) {
      throw new IllegalArgumentException(
          "the instructions lack config '" + key + "' (sent by a server of another version?)");
    }
    return v;
  }

  private static long longOf(Map<String, String> c, String key) {
    required(c, key);
    return ConfigKeys.getLong(c, key, 0);
  }

  private static double doubleOf(Map<String, String> c, String key) {
    required(c, key);
    return ConfigKeys.getDouble(c, key, 0);
  }

  private static int intOf(Map<String, String> c, String key) {
    required(c, key);
    return ConfigKeys.getInt(c, key, 0);
  }

  /**
   * The JSON value of {@code key}, parsed as strictly as a run folder's JSON files ({@link
   * JsonFiles#parse}: no comments, single quotes, NaN, trailing content or repeated key); an
   * exception naming the key and what is wrong if it is not such JSON.
   */
  private static JsonElement json(Map<String, String> c, String key) {
    String text = required(c, key);
    try {
      return JsonFiles.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the instructions' config '"
              + key
              + "': "
              + e.getMessage()
              + " (sent by a server of another version?)",
          e);
    }
  }

  /** One {@code [task, labels]} pair of {@code run.head.tasks}. */
  private static HeadLayout.Part taskPart(JsonElement e) {
    if (e.isJsonArray() && e.getAsJsonArray().size() == 2) {
      JsonArray one = e.getAsJsonArray();
      if (one.get(0).isJsonPrimitive()
          && one.get(0).getAsJsonPrimitive().isString()
          && one.get(1).isJsonPrimitive()
          && one.get(1).getAsJsonPrimitive().isNumber()) {
        int labels;
        try {
          labels = one.get(1).getAsBigDecimal().intValueExact();
        } catch (ArithmeticException | NumberFormatException notAnInt) {
          throw malformed(HEAD_TASKS, "has " + e + " where a [task, labels] pair belongs");
        }
        try {
          return new HeadLayout.Part(one.get(0).getAsString(), labels);
        } catch (IllegalArgumentException refused) {
          throw malformed(HEAD_TASKS, "is not a head layout: " + refused.getMessage());
        }
      }
    }
    throw malformed(HEAD_TASKS, "has " + e + " where a [task, labels] pair belongs");
  }

  private static IllegalArgumentException malformed(String key, String what) {
    return new IllegalArgumentException(
        "the instructions' config '"
            + key
            + "' "
            + what
            + " (sent by a server of another version?)");
  }
}
