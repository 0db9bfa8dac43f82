package org.fedpeft.heads;

import java.util.List;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;

/**
 * Config keys {@code head.*}: how the classification head starts.
 *
 * @param init {@code random} (N(0, 0.02^2) weights from the run seed, bias 0) or {@code documents}
 *     (retrieval data only: {@link org.fedpeft.retrieval.DocumentHeadInit})
 * @param scale with {@code documents}, the length of every weight row (the logits are {@code scale
 *     x |query| x cosine})
 */
public record HeadSection(String init, double scale) {

  /** The values of {@code head.init}. */
  public static final List<String> INITS = List.of("random", "documents");

  /**
   * The default {@code head.scale}: 20, the inverse temperature 1/0.05 of the contrastive objective
   * ({@link org.fedpeft.retrieval.DocumentHeadInit}).
   */
  public static final double DEFAULT_SCALE = 20.0;

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
          .key(
              "head.init",
              Type.STRING,
              "random",
              "how the head starts: random (N(0, 0.02^2) from the run seed, bias 0) or documents"
                  + " (retrieval data only: row d is head.scale times document d's unit sentence"
                  + " embedding through the untrained model, bias 0, so the head ranks documents"
                  + " as MIPS does before training; computed by the server from the corpus)",
              INITS::contains,
              "one of " + String.join(", ", INITS))
          .key(
              "head.scale",
              Type.DOUBLE,
              DEFAULT_SCALE,
              "head.init = documents: the length of each weight row (logits = scale x |query|"
                  + " x cosine)",
              v -> (double) v > 0,
              "> 0");

  /** Checks every field against {@link #SCHEMA}. */
  public HeadSection {
    SCHEMA.require("head.init", init);
    SCHEMA.require("head.scale", scale);
  }

  /** Reads the section from resolved values. */
  public static HeadSection from(ConfigValues v) {
    return new HeadSection(v.getString("head.init"), v.getDouble("head.scale"));
  }

  /** Whether the head starts from the document embeddings. */
  public boolean fromDocuments() {
    return init.equals("documents");
  }
}
