package org.fedpeft.data;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedpeft.config.StringValues;

/**
 * How to load a task: split fractions, per-split caps and task-specific parameters.
 *
 * <p>The test fraction is what train and validation leave: {@code 1 - trainFraction -
 * validationFraction}. Caps keep a stratified sample of a split (the same share of every class) for
 * fast runs; {@link #NO_CAP} keeps everything. Task parameters are strings keyed by name (e.g.
 * {@code documents=2000} for {@code wordnet-sense-retrieval}); a task rejects names it does not
 * know, listing the ones it does.
 *
 * @param trainFraction share of each class that goes to train, in (0, 1]
 * @param validationFraction share of each class that goes to validation, in [0, 1)
 * @param maxTrain at most this many train examples (stratified), {@code >= 0}
 * @param maxValidation at most this many validation examples (stratified), {@code >= 0}
 * @param maxTest at most this many test examples (stratified), {@code >= 0}
 * @param params task-specific parameters, sorted by name
 */
public record TaskOptions(
    double trainFraction,
    double validationFraction,
    int maxTrain,
    int maxValidation,
    int maxTest,
    Map<String, String> params) {

  /** No cap on a split's size. */
  public static final int NO_CAP = Integer.MAX_VALUE;

  /** Validates every field, naming the one that is wrong. */
  public TaskOptions {
    if (!(trainFraction > 0 && trainFraction <= 1)) {
      throw new IllegalArgumentException("trainFraction must be in (0, 1], got " + trainFraction);
    }
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      throw new IllegalArgumentException(
          "validationFraction must be in [0, 1), got " + validationFraction);
    }
    if (trainFraction + validationFraction > 1 + 1e-9) {
      throw new IllegalArgumentException(
          "trainFraction + validationFraction must be at most 1, got "
              + trainFraction
              + " + "
              + validationFraction);
    }
    if (maxTrain < 0) {
      throw new IllegalArgumentException("maxTrain must be >= 0, got " + maxTrain);
    }
    if (maxValidation < 0) {
      throw new IllegalArgumentException("maxValidation must be >= 0, got " + maxValidation);
    }
    if (maxTest < 0) {
      throw new IllegalArgumentException("maxTest must be >= 0, got " + maxTest);
    }
    params = Collections.unmodifiableMap(new TreeMap<>(params));
  }

  /** 80% train, 10% validation, 10% test, no caps, no parameters. */
  public static TaskOptions defaults() {
    return new TaskOptions(0.8, 0.1, NO_CAP, NO_CAP, NO_CAP, Map.of());
  }

  /** The test share: {@code 1 - trainFraction - validationFraction} (never negative). */
  public double testFraction() {
    return Math.max(0, 1 - trainFraction - validationFraction);
  }

  /** These options with other train and validation fractions. */
  public TaskOptions withFractions(double train, double validation) {
    return new TaskOptions(train, validation, maxTrain, maxValidation, maxTest, params);
  }

  /** These options with a cap on the train split. */
  public TaskOptions withMaxTrain(int max) {
    return new TaskOptions(trainFraction, validationFraction, max, maxValidation, maxTest, params);
  }

  /** These options with a cap on the validation split. */
  public TaskOptions withMaxValidation(int max) {
    return new TaskOptions(trainFraction, validationFraction, maxTrain, max, maxTest, params);
  }

  /** These options with a cap on the test split. */
  public TaskOptions withMaxTest(int max) {
    return new TaskOptions(trainFraction, validationFraction, maxTrain, maxValidation, max, params);
  }

  /** These options with one more task parameter (replacing one of the same name). */
  public TaskOptions withParam(String name, String value) {
    Map<String, String> p = new TreeMap<>(params);
    p.put(name, value);
    return new TaskOptions(trainFraction, validationFraction, maxTrain, maxValidation, maxTest, p);
  }

  /** Throws unless every parameter name is in {@code known}, listing the known names. */
  public void requireKnownParams(String task, Set<String> known) {
    for (String name : params.keySet()) {
      if (!known.contains(name)) {
        throw new IllegalArgumentException(
            "task "
                + task
                + " has no parameter \""
                + name
                + "\"; known parameters: "
                + (known.isEmpty() ? "(none)" : String.join(", ", new TreeSet<>(known))));
      }
    }
  }

  /** An integer parameter, or {@code fallback} when absent; a non-integer is an error. */
  public int intParam(String name, int fallback) {
    String v = params.get(name);
    return v == null ? fallback : StringValues.toInt(v, "parameter '" + name + "'");
  }

  /** A decimal parameter, or {@code fallback} when absent; a non-number is an error. */
  public double doubleParam(String name, double fallback) {
    String v = params.get(name);
    return v == null ? fallback : StringValues.toDouble(v, "parameter '" + name + "'");
  }

  /** A boolean parameter ({@code true} or {@code false}), or {@code fallback} when absent. */
  public boolean booleanParam(String name, boolean fallback) {
    String v = params.get(name);
    return v == null ? fallback : StringValues.toBoolean(v, "parameter '" + name + "'");
  }
}
