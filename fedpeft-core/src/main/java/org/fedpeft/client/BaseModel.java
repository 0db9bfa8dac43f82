package org.fedpeft.client;

import org.fedpeft.model.Precision;
import org.fedpeft.train.FrozenBase;

/**
 * The frozen model a run computes with, as the server tells its clients ({@link
 * RunSettings#baseModel}): the model's digest ({@link org.fedpeft.model.PretrainedModel#sha256()}:
 * weights, tokenizer and maximum sequence length) and the precision its frozen weights are held in.
 * A client whose own frozen model differs refuses the round, naming both: its updates would
 * otherwise differ from the run's without a word (a node given another model folder, or one set to
 * another precision). A node whose server names its model when it welcomes it refuses the run there
 * instead, for the same reasons ({@link ClientModels#requireServes}). A node whose {@code
 * model.precision} is {@code auto} holds the model in the server's precision instead ({@link
 * ClientModels#hold}). The simulation's clients share the server's model, so they always agree.
 */
public final class BaseModel {

  /**
   * A client's refusal of a round, or of a run at its welcome ({@link ClientModels#requireServes}),
   * whose server computes with another frozen model.
   */
  public static final class ModelMismatch extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    ModelMismatch(String message) {
      super(message);
    }
  }

  /** The instruction config key. */
  public static final String KEY = "run.base_model";

  private BaseModel() {}

  /** The identity of {@code base}: its digest and its precision's label, one space between. */
  public static String of(FrozenBase base) {
    return base.model().sha256() + " " + base.model().precision().precision().label();
  }

  /**
   * An identity ({@link #of}) read back: the digest, and the precision's label ("" if it names
   * none).
   */
  private record Parts(String digest, String precision) {
    static Parts of(String identity) {
      String[] p = identity.split(" ", 2);
      return new Parts(p[0], p.length > 1 ? p[1] : "");
    }
  }

  /** The precision an identity names, or null if it names none this version knows. */
  static Precision precisionOf(String identity) {
    return Precision.ofLabel(Parts.of(identity).precision()).orElse(null);
  }

  /** Whether two identities name the same model digest. */
  static boolean sameDigest(String a, String b) {
    return Parts.of(a).digest().equals(Parts.of(b).digest());
  }

  /**
   * Checks the client's frozen model against the server's, as a round's instructions name it.
   *
   * @param models the client's frozen model ({@link ClientModels#baseIdentity})
   * @param expected the server's {@link #of} ("" if the server sent none: nothing is checked)
   * @param clientId the client, for the message
   * @throws ModelMismatch "client ID refuses the round: " and {@link #mismatch}
   */
  static void check(ClientModels models, String expected, String clientId) {
    String problem = mismatch(models, expected);
    if (problem != null) {
      throw new ModelMismatch("client " + clientId + " refuses the round: " + problem);
    }
  }

  /**
   * What differs between the client's frozen model and the server's, and the setting to change: the
   * model (another digest: {@code model.name}, {@code --model}), or else the precision ({@code
   * model.precision}, naming both precisions); null if they are the same or {@code expected} is "".
   *
   * @param models the client's frozen model ({@link ClientModels#baseIdentity})
   * @param expected the server's {@link #of}
   */
  static String mismatch(ClientModels models, String expected) {
    if (expected.isEmpty()) {
      return null;
    }
    String own = models.baseIdentity();
    if (own.equals(expected)) {
      return null;
    }
    Parts theirs = Parts.of(expected);
    Parts ours = Parts.of(own);
    if (!ours.digest().equals(theirs.digest())) {
      return "its frozen model "
          + models.base().model().name()
          + " (weights and tokenizer digest "
          + ours.digest().substring(0, 12)
          + ") is not the server's (digest "
          + theirs.digest().substring(0, Math.min(12, theirs.digest().length()))
          + "); give it the model the server uses (model.name, --model)";
    }
    String theirPrecision = theirs.precision().isEmpty() ? "?" : theirs.precision();
    return "it holds its frozen model in "
        + ours.precision()
        + " (model.precision "
        + models.base().model().precision().setting()
        + "), the server's run in "
        + theirPrecision
        + "; set model.precision to "
        + theirPrecision
        + " on this node, or to auto, with which a node follows the server's precision";
  }
}
