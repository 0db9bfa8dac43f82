package org.fedpeft.train;

import java.util.List;
import java.util.Locale;

/**
 * What local training minimises.
 *
 * <ul>
 *   <li>{@code classification}: the cross-entropy of the classification head over the labels (for a
 *       retrieval task, the classifier-as-retriever head over the document ids);
 *   <li>{@code contrastive}: InfoNCE with in-batch negatives between each query's sentence
 *       embedding and its document's ({@link ContrastiveLoss}); the head is not used or trained,
 *       and retrieval is by cosine similarity (MIPS) with the trained adapter.
 * </ul>
 *
 * @param kind the loss
 * @param temperature tau of the contrastive loss, positive (classification ignores it)
 */
public record Objective(Kind kind, double temperature) {

  /** The losses. */
  public enum Kind {
    /** Cross-entropy of the head. */
    CLASSIFICATION,
    /** InfoNCE between query and document embeddings. */
    CONTRASTIVE
  }

  /** The names {@link #parse} accepts, as configs and options spell them. */
  public static final List<String> NAMES = List.of("classification", "contrastive");

  /** The contrastive temperature when none is given. */
  public static final double DEFAULT_TEMPERATURE = 0.05;

  /** Cross-entropy of the head (the default). */
  public static final Objective CLASSIFICATION =
      new Objective(Kind.CLASSIFICATION, DEFAULT_TEMPERATURE);

  /** Checks that the temperature is positive and finite. */
  public Objective {
    if (kind == null) {
      throw new IllegalArgumentException("the objective's kind must be given");
    }
    if (!(temperature > 0) || !Double.isFinite(temperature)) {
      throw new IllegalArgumentException("temperature must be positive, got " + temperature);
    }
  }

  /**
   * The objective named {@code name} ({@code classification} or {@code contrastive}, any case).
   *
   * @throws IllegalArgumentException naming the accepted names
   */
  public static Objective parse(String name, double temperature) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "classification" -> new Objective(Kind.CLASSIFICATION, temperature);
      case "contrastive" -> new Objective(Kind.CONTRASTIVE, temperature);
      default ->
          throw new IllegalArgumentException(
              "objective must be one of " + String.join(", ", NAMES) + ", got '" + name + "'");
    };
  }

  /** The name {@link #parse} reads back. */
  public String id() {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  /** True for the contrastive objective. */
  public boolean contrastive() {
    return kind == Kind.CONTRASTIVE;
  }
}
