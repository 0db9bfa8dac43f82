package org.fedpeft.data;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.fedpeft.io.Sha256;

/**
 * An immutable list of {@link Example}s with an ordered label vocabulary.
 *
 * <p>Label {@code i} of the vocabulary is class index {@code i} for a model. Without an explicit
 * vocabulary, the labels found are sorted in {@linkplain #labelOrder label order} (numerically when
 * every label is an integer, otherwise by string). The splits of one task share one vocabulary, so
 * a class has the same index in train, validation and test even when a small split lacks it.
 *
 * <p>A dataset read from a file remembers where each example came from, so later checks can name
 * {@code file:line} (see {@link #location(int)}).
 */
public final class Dataset {
  private final String name;
  private final List<Example> examples;
  private final List<String> labels;
  private final int[] labelIndex;
  private final Path source;
  private final int[] lines;

  private Dataset(
      String name, List<Example> examples, List<String> labels, Path source, int[] lines) {
    this.name = Objects.requireNonNull(name, "name");
    this.examples = List.copyOf(examples);
    this.labels = List.copyOf(labels);
    Map<String, Integer> map = new HashMap<>();
    for (int i = 0; i < this.labels.size(); i++) {
      if (map.put(this.labels.get(i), i) != null) {
        throw new IllegalArgumentException(
            "dataset " + name + ": label \"" + this.labels.get(i) + "\" appears twice");
      }
    }
    this.source = source;
    if (lines != null && lines.length != this.examples.size()) {
      throw new IllegalArgumentException("one line number per example is needed");
    }
    this.lines = lines;
    this.labelIndex = new int[this.examples.size()];
    for (int i = 0; i < labelIndex.length; i++) {
      String label = this.examples.get(i).label();
      Integer index = map.get(label);
      if (index == null) {
        if (source != null && lines != null) {
          throw new DataFormatException(
              source, lines[i], "label \"" + label + "\" is not in the label vocabulary");
        }
        throw new IllegalArgumentException(
            location(i)
                + ": label \""
                + label
                + "\" is not in the label vocabulary "
                + this.labels);
      }
      labelIndex[i] = index;
    }
  }

  /** A dataset whose vocabulary is the labels found, in {@linkplain #labelOrder label order}. */
  public static Dataset of(String name, List<Example> examples) {
    return new Dataset(name, examples, sortedLabels(examples), null, null);
  }

  /**
   * A dataset with a fixed label vocabulary; a label outside it is an error. Labels of the
   * vocabulary may have no examples.
   */
  public static Dataset of(String name, List<Example> examples, List<String> labels) {
    return new Dataset(name, examples, labels, null, null);
  }

  /** A dataset read from a file: {@code lines[i]} is the 1-based line of example {@code i}. */
  static Dataset fromFile(Path source, List<Example> examples, int[] lines) {
    Objects.requireNonNull(source, "source");
    Path fileName = source.getFileName();
    return new Dataset(
        fileName == null ? source.toString() : fileName.toString(),
        examples,
        sortedLabels(examples),
        source,
        lines.clone());
  }

  /**
   * The sort order used for label vocabularies: numeric if every label is an integer (so "2" comes
   * before "10"), otherwise by {@link String#compareTo}.
   */
  public static Comparator<String> labelOrder(Collection<String> labels) {
    boolean numeric = !labels.isEmpty();
    for (String label : labels) {
      if (!label.matches("[+-]?\\d{1,100}")) {
        numeric = false;
        break;
      }
    }
    if (numeric) {
      return Comparator.comparing((String s) -> new BigInteger(s)).thenComparing(s -> s);
    }
    return Comparator.naturalOrder();
  }

  private static List<String> sortedLabels(List<Example> examples) {
    Set<String> seen = new HashSet<>();
    List<String> found = new ArrayList<>();
    for (Example e : examples) {
      if (seen.add(e.label())) {
        found.add(e.label());
      }
    }
    found.sort(labelOrder(found));
    return found;
  }

  /** The dataset's name (a task split name such as {@code wordnet-noun-topic/train}, or a file). */
  public String name() {
    return name;
  }

  /** The number of examples. */
  public int size() {
    return examples.size();
  }

  /** True when there are no examples. */
  public boolean isEmpty() {
    return examples.isEmpty();
  }

  /** The examples, unmodifiable. */
  public List<Example> examples() {
    return examples;
  }

  /** Example {@code i}. */
  public Example example(int i) {
    return examples.get(i);
  }

  /** The label vocabulary, unmodifiable; position = class index. */
  public List<String> labels() {
    return labels;
  }

  /** The size of the label vocabulary. */
  public int numLabels() {
    return labels.size();
  }

  /** The class index of example {@code i}. */
  public int labelIndex(int example) {
    return labelIndex[example];
  }

  /** The class index of every example, a fresh copy. */
  public int[] labelIndices() {
    return labelIndex.clone();
  }

  /** The number of examples per class index (length {@link #numLabels()}). */
  public int[] labelHistogram() {
    int[] h = new int[labels.size()];
    for (int c : labelIndex) {
      h[c]++;
    }
    return h;
  }

  /** The file this dataset was read from, if any. */
  public Optional<Path> source() {
    return Optional.ofNullable(source);
  }

  /** The 1-based line of example {@code i} in its file, if the dataset was read from one. */
  public OptionalInt sourceLine(int i) {
    Objects.checkIndex(i, examples.size());
    return lines == null ? OptionalInt.empty() : OptionalInt.of(lines[i]);
  }

  /** Where example {@code i} came from: {@code file:line}, or {@code name#i}. */
  public String location(int i) {
    if (source != null && lines != null) {
      return source + ":" + lines[i];
    }
    return name + "#" + i;
  }

  /** The examples at {@code indices}, in that order, keeping this vocabulary and source lines. */
  public Dataset subset(String newName, int[] indices) {
    List<Example> picked = new ArrayList<>(indices.length);
    int[] pickedLines = lines == null ? null : new int[indices.length];
    for (int k = 0; k < indices.length; k++) {
      picked.add(examples.get(indices[k]));
      if (pickedLines != null) {
        pickedLines[k] = lines[indices[k]];
      }
    }
    return new Dataset(newName, picked, labels, source, pickedLines);
  }

  /**
   * The examples of several datasets in order, e.g. the train splits of several tasks for a
   * multi-task federation (partition it with {@code natural:task}). The vocabulary is the union of
   * the labels, in {@linkplain #labelOrder label order}; file locations are not kept.
   */
  public static Dataset concat(String name, List<Dataset> parts) {
    List<Example> all = new ArrayList<>();
    Set<String> labels = new HashSet<>();
    for (Dataset d : parts) {
      all.addAll(d.examples());
      labels.addAll(d.labels());
    }
    List<String> vocabulary = new ArrayList<>(labels);
    vocabulary.sort(labelOrder(vocabulary));
    return new Dataset(name, all, vocabulary, null, null);
  }

  /**
   * The same examples indexed by another vocabulary, e.g. a test file re-indexed to the training
   * labels. An example whose label the vocabulary lacks is an error naming its {@code file:line}
   * (use {@link LabelCheck} first to list all of them).
   */
  public Dataset withLabels(List<String> vocabulary) {
    return new Dataset(name, examples, vocabulary, source, lines);
  }

  /** The distinct non-null values of {@link Example#client()} in label order. */
  public List<String> clients() {
    return distinct(true);
  }

  /** The distinct non-null values of {@link Example#task()} in label order. */
  public List<String> tasks() {
    return distinct(false);
  }

  private List<String> distinct(boolean client) {
    Set<String> seen = new HashSet<>();
    List<String> found = new ArrayList<>();
    for (Example e : examples) {
      String v = client ? e.client() : e.task();
      if (v != null && seen.add(v)) {
        found.add(v);
      }
    }
    found.sort(labelOrder(found));
    return List.copyOf(found);
  }

  /**
   * A SHA-256 over the examples (text, label, client, task, in order) and the label vocabulary, as
   * lowercase hex: a data fingerprint for run manifests.
   */
  public String sha256() {
    MessageDigest md = Sha256.newDigest();
    for (String label : labels) {
      digestField(md, label);
    }
    for (Example e : examples) {
      digestField(md, e.text());
      digestField(md, e.label());
      digestField(md, e.client());
      digestField(md, e.task());
    }
    return org.fedpeft.io.Sha256.hex(md);
  }

  private static void digestField(MessageDigest md, String s) {
    if (s == null) {
      md.update((byte) 0);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    md.update((byte) 1);
    md.update(
        new byte[] {
          (byte) (bytes.length >>> 24),
          (byte) (bytes.length >>> 16),
          (byte) (bytes.length >>> 8),
          (byte) bytes.length
        });
    md.update(bytes);
  }

  @Override
  public String toString() {
    return "Dataset[" + name + ", " + examples.size() + " examples, " + labels.size() + " labels]";
  }
}
