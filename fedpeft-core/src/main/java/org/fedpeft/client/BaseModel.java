package org.fedpeft.client;

import org.fedpeft.model.Precision;
import org.fedpeft.train.FrozenBase;

/**
 * The frozen model a run computes with, as the server tells its clients ({@link
 * RunSettings#baseModel}): the model's digest ({@link org.fedpeft.model.PretrainedModel#sha256()}:
 * weights, tokenizer and maximum sequence length) and the precision its frozen weights are held in.
 * A client whose own frozen model differs refuses the round, naming both: its updates would
 * otherwise differ from the run's without a word (a node given another model folder, or one set to
 * another precision). A node whose {@code model.precision} is {@code auto} holds the model in the
 * server's precision instead ({@link ClientModels#hold}). The simulation's clients share the
 * server's model, so they always agree.
 */
public final class BaseModel {

  /** A client's refusal of a round whose server computes with another frozen model. */
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

  /** The precision an identity names, or null if it names none this version knows. */
  static Precision precisionOf(String identity) {
    String[] parts = identity.split(" ", 2);
    if (parts.length < 2) {
      return null;
    }
    for (Precision p : Precision.values()) {
      if (p.label().equals(parts[1])) {
        return p;
      }
    }
    return null;
  }

  /** Whether two identities name the same model digest. */
  static boolean sameDigest(String a, String b) {
    return a.split(" ", 2)[0].equals(b.split(" ", 2)[0]);
  }

  /**
   * Checks the client's frozen model against the server's.
   *
   * @param models the client's frozen model ({@link ClientModels#baseIdentity})
   * @param expected the server's {@link #of} ("" if the server sent none: nothing is checked)
   * @param clientId the client, for the message
   * @throws ModelMismatch naming the client, what differs and the setting to change
   */
  static void check(ClientModels models, String expected, String clientId) {
    if (expected.isEmpty()) {
      return;
    }
    String own = models.baseIdentity();
    if (own.equals(expected)) {
      return;
    }
    String[] theirs = expected.split(" ", 2);
    String[] ours = own.split(" ", 2);
    String prefix = "client " + clientId + " refuses the round: ";
    if (!ours[0].equals(theirs[0])) {
      throw new ModelMismatch(
          prefix
              + "its frozen model "
              + models.base().model().name()
              + " (weights and tokenizer digest "
              + ours[0].substring(0, 12)
              + ") is not the server's (digest "
              + theirs[0].substring(0, Math.min(12, theirs[0].length()))
              + "); give it the model the server uses (model.name, --model)");
    }
    String theirPrecision = theirs.length > 1 ? theirs[1] : "?";
    throw new ModelMismatch(
        prefix
            + "it holds its frozen model in "
            + ours[1]
            + " (model.precision "
            + models.base().model().precision().setting()
            + "), the server's run in "
            + theirPrecision
            + "; set model.precision to "
            + theirPrecision
            + " on this node, or to auto, with which a node follows the server's precision");
  }
}
