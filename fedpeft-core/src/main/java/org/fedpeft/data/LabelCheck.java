package org.fedpeft.data;

import com.google.gson.JsonPrimitive;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.fedpeft.io.Words;

/**
 * Which examples of a dataset (typically a test split) have labels outside a vocabulary (typically
 * the training labels). Unknown labels are reported with their location, never silently dropped.
 *
 * @param data the checked dataset's name
 * @param source the file the checked dataset was read from, or null
 * @param unknown the offending examples, in dataset order
 */
public record LabelCheck(String data, Path source, List<UnknownLabel> unknown) {

  /**
   * One example with a label the vocabulary lacks.
   *
   * @param example the example's index in the checked dataset
   * @param line the example's 1-based line in its file, or -1 when not read from a file
   * @param location {@code file:line}, or {@code name#index} for data not read from a file
   * @param label the unknown label
   */
  public record UnknownLabel(int example, int line, String location, String label) {}

  /** Copies the list. */
  public LabelCheck {
    unknown = List.copyOf(unknown);
  }

  /** Checks every example of {@code data} against {@code vocabulary}. */
  public static LabelCheck of(List<String> vocabulary, Dataset data) {
    Set<String> known = new HashSet<>(vocabulary);
    List<UnknownLabel> bad = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      String label = data.example(i).label();
      if (!known.contains(label)) {
        bad.add(new UnknownLabel(i, data.sourceLine(i).orElse(-1), data.location(i), label));
      }
    }
    return new LabelCheck(data.name(), data.source().orElse(null), bad);
  }

  /** Checks {@code test} against the labels of {@code train}. */
  public static LabelCheck of(Dataset train, Dataset test) {
    return of(train.labels(), test);
  }

  /** True when every label is known. */
  public boolean ok() {
    return unknown.isEmpty();
  }

  /** The distinct unknown labels, in order of first appearance. */
  public List<String> unknownLabels() {
    Set<String> seen = new HashSet<>();
    List<String> out = new ArrayList<>();
    for (UnknownLabel u : unknown) {
      if (seen.add(u.label())) {
        out.add(u.label());
      }
    }
    return out;
  }

  /** A human-readable report, one line per offending example (empty string when ok). */
  public String report() {
    if (ok()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    sb.append(data)
        .append(": ")
        .append(unknown.size())
        .append(' ')
        .append(Words.plural(unknown.size(), "example"))
        .append(unknown.size() == 1 ? " has" : " have")
        .append(" a label not in the training labels: ")
        .append(unknownLabels())
        .append('\n');
    for (UnknownLabel u : unknown) {
      sb.append("  ").append(u.location()).append(": \"").append(u.label()).append("\"\n");
    }
    return sb.toString();
  }

  /**
   * Throws unless every label is known: a {@link DataFormatException} at the first offending line
   * when the data came from a file (the message counts the others, lists a few and names the
   * distinct unknown labels), else an {@link IllegalArgumentException}.
   */
  public void requireKnown() {
    requireKnown(null);
  }

  /**
   * As {@link #requireKnown()}, the message ending with {@code hint} (what the user can do about an
   * unknown label, such as a config key that would list it), when not null.
   */
  public void requireKnown(String hint) {
    if (ok()) {
      return;
    }
    UnknownLabel first = unknown.get(0);
    StringBuilder reason =
        new StringBuilder("unknown label \"").append(first.label()).append("\" (not in training)");
    if (unknown.size() > 1) {
      reason.append("; ").append(unknown.size() - 1).append(" more at ");
      int shown = Math.min(unknown.size() - 1, 10);
      for (int k = 1; k <= shown; k++) {
        reason.append(k > 1 ? ", " : "").append(unknown.get(k).location());
      }
      if (unknown.size() - 1 > shown) {
        reason.append(", ...");
      }
      List<String> labels = unknownLabels();
      if (labels.size() > 1) {
        int named = Math.min(labels.size(), 10);
        reason.append("; the unknown labels: ");
        for (int k = 0; k < named; k++) {
          reason.append(k > 0 ? ", " : "").append('"').append(labels.get(k)).append('"');
        }
        if (labels.size() > named) {
          reason.append(" and ").append(labels.size() - named).append(" more");
        }
      }
    }
    if (hint != null) {
      reason.append("; ").append(hint);
    }
    if (source != null && first.line() > 0) {
      throw new DataFormatException(source, first.line(), reason.toString());
    }
    throw new IllegalArgumentException(first.location() + ": " + reason);
  }

  /**
   * {@code data} indexed by {@code labels}, a run's label list (a config's {@code data.labels}); an
   * example whose label is not listed is a {@link DataFormatException} at its line, the first such
   * in file order (or an {@link IllegalArgumentException} naming it, for data not read from a
   * file), counting the others.
   */
  public static Dataset listed(Dataset data, List<String> labels) {
    return listed(data, labels, RUN_LABELS);
  }

  /** How {@link #listed(Dataset, List)} names a run's labels in its refusals. */
  public static final String RUN_LABELS = "the run's labels";

  /**
   * As {@link #listed(Dataset, List)}, the refusals naming the labels as {@code whose} (such as
   * "the adapter's labels", for the labels of a trained model).
   */
  public static Dataset listed(Dataset data, List<String> labels, String whose) {
    return listed(data, labels, whose, null);
  }

  /**
   * As {@link #listed(Dataset, List, String)}, the refusal ending with {@code hint} (how to fix it,
   * such as listing the label in the config key the labels come from), when not null.
   */
  public static Dataset listed(Dataset data, List<String> labels, String whose, String hint) {
    if (data.labels().equals(labels)) {
      return data;
    }
    LabelCheck check = LabelCheck.of(labels, data);
    if (!check.ok()) {
      // In file order, so the first line named is the file's first such line (a split is shuffled).
      List<LabelCheck.UnknownLabel> bad = new ArrayList<>(check.unknown());
      bad.sort(Comparator.comparingInt(LabelCheck.UnknownLabel::line));
      LabelCheck.UnknownLabel first = bad.get(0);
      String reason =
          "label \""
              + first.label()
              + "\" is not one of "
              + whose
              + " "
              + (labels.size() <= 10 ? show(labels) : show(labels.subList(0, 10)) + " ...")
              + (bad.size() > 1
                  ? "; "
                      + (bad.size() - 1)
                      + " more such "
                      + Words.plural(bad.size() - 1, "example")
                  : "")
              + (hint == null ? "" : "; " + hint);
      if (data.source().isPresent() && first.line() > 0) {
        throw new DataFormatException(data.source().get(), first.line(), reason);
      }
      throw new IllegalArgumentException(first.location() + ": " + reason);
    }
    return data.withLabels(labels);
  }

  /**
   * Labels as refusals print them: {@code [a, b, c]}, or, when a label holds a comma, a bracket or
   * a double quote, or starts or ends with a space (which would make that form ambiguous: the
   * labels {@code "a, b"} and {@code "c"} would read {@code [a, b, c]}), every label as a JSON
   * string: {@code ["a, b", "c"]}.
   */
  public static String show(List<String> labels) {
    boolean plain =
        labels.stream()
            .noneMatch(
                l ->
                    l.indexOf(',') >= 0 || l.matches("(?s).*[\\[\\]\"].*") || !l.equals(l.strip()));
    if (plain) {
      return labels.toString();
    }
    return labels.stream()
        .map(l -> new JsonPrimitive(l).toString())
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
