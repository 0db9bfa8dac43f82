package org.fedpeft.client;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.fedpeft.model.Precision;
import org.fedpeft.train.FrozenBase;

/**
 * The frozen model of a process and the {@link ModelFactory} for each {@link ModelSpec} built on
 * it, shared by every client the process hosts (one in a client process, many in a simulation or on
 * a node). Safe for concurrent use.
 *
 * <p>A client holds the model for the length of a fit or an evaluation ({@link #hold}), which first
 * checks it against the server's ({@link BaseModel#check}); a node checks, when the server welcomes
 * it, that its models can serve the run at all ({@link #requireServes}). A node's models ({@link
 * #ofNode}) whose precision setting is {@code auto} follow the server instead of refusing when only
 * the precision differs: the first hold that names another precision loads the model again in the
 * server's, releases the one held so far, and says so in one line. Holds wait while the model is
 * replaced, and the replacement waits until no hold is open, so one model is in use at a time.
 */
public final class ClientModels implements AutoCloseable {

  /** Loads the process's model again in another precision, for a node that follows the server. */
  @FunctionalInterface
  public interface Loader {
    /**
     * @param precision the setting {@code auto} resolved to the server's precision
     */
    FrozenBase load(Precision.Choice precision) throws IOException;
  }

  /** Why a following node's {@code auto} resolved as it did, in its precision's records. */
  static final String FOLLOWING = "following the server's run";

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Map<ModelSpec, ModelFactory> factories = new ConcurrentHashMap<>();
  private final Loader reload; // null: the model is the caller's and never replaced
  private final Consumer<String> notes;

  /** What the process's own setting resolved to on this machine. */
  private final Precision.Choice ownChoice;

  private FrozenBase base; // replaced under the write lock
  private volatile String baseIdentity; // of base; null until first asked

  private ClientModels(FrozenBase base, Loader reload, Consumer<String> notes) {
    this.base = base;
    this.reload = reload;
    this.notes = notes;
    this.ownChoice = base.model().precision();
  }

  /**
   * Models on the server's own frozen model (a simulation) or on one the caller keeps: never
   * replaced, and closing the model stays with the caller.
   */
  public ClientModels(FrozenBase base) {
    this(base, null, null);
  }

  /**
   * A node's models, which own {@code base} ({@link #close} closes the model held then). If {@code
   * base}'s precision setting is {@code auto}, they follow the server's precision: a hold that
   * names the same model digest in another precision loads it in that one with {@code reload},
   * closes the model held so far, and passes {@code notes} one line saying so.
   */
  public static ClientModels ofNode(FrozenBase base, Loader reload, Consumer<String> notes) {
    return new ClientModels(base, reload, notes);
  }

  /**
   * The frozen model held now. A node's models may replace it when a hold opens: across a fit or an
   * evaluation, use it within {@link #hold}.
   */
  public FrozenBase base() {
    lock.readLock().lock();
    try {
      return base;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** {@link BaseModel#of} the model held now, computed once per model. */
  public String baseIdentity() {
    lock.readLock().lock();
    try {
      return identity();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The factory of a spec on the model held now, made on first use. */
  public ModelFactory factory(ModelSpec spec) {
    lock.readLock().lock();
    try {
      return factories.computeIfAbsent(spec, s -> new ModelFactory(base, s));
    } finally {
      lock.readLock().unlock();
    }
  }

  /** An open {@link #hold}: the model is not replaced until it is closed. */
  public final class Hold implements AutoCloseable {
    private Hold() {}

    /** The frozen model held. */
    public FrozenBase base() {
      return base;
    }

    /** {@link ClientModels#factory} on the model held. */
    public ModelFactory factory(ModelSpec spec) {
      return ClientModels.this.factory(spec);
    }

    /** Ends the hold (on the thread that opened it). */
    @Override
    public void close() {
      lock.readLock().unlock();
    }
  }

  /**
   * Holds the frozen model for one fit or evaluation on this thread, after checking it against the
   * server's {@code expected} identity ({@link BaseModel#check}). Following the server (a node's
   * models with {@code auto}, {@link #ofNode}), a model of the same digest in another precision is
   * first loaded in the server's and replaces the one held.
   *
   * @param expected the server's {@link BaseModel#of} ("" if it sent none: nothing is checked)
   * @param clientId the client, for messages
   * @throws IllegalStateException if the client refuses the round (as {@link BaseModel#check}
   *     says), or the model cannot be loaded in the server's precision
   */
  public Hold hold(String expected, String clientId) {
    lock.readLock().lock();
    boolean agree = false;
    try {
      agree = expected.isEmpty() || identity().equals(expected);
    } finally {
      if (!agree) {
        lock.readLock().unlock();
      }
    }
    if (agree) {
      return new Hold();
    }
    lock.writeLock().lock();
    try {
      if (!identity().equals(expected)) {
        follow(expected, clientId);
        BaseModel.check(this, expected, clientId);
      }
      lock.readLock().lock(); // before the write lock goes, so that no replacement comes between
    } finally {
      lock.writeLock().unlock();
    }
    return new Hold();
  }

  /**
   * Checks, when the server welcomes a client and before any round, that these models can serve a
   * run whose server computes with {@code expected}: they hold that model, or they follow the
   * server ({@link #ofNode} with {@code auto}) and hold the same digest in another precision, which
   * the first {@link #hold} replaces. Nothing is loaded here. Models that cannot serve the run
   * would refuse each of its rounds ({@link BaseModel#check}): the client refuses the run instead.
   *
   * @param expected the server's {@link BaseModel#of} ("" or null if it sent none: nothing is
   *     checked)
   * @param clientId the client, for the message
   * @throws BaseModel.ModelMismatch "client ID cannot serve the server's run: " and what differs,
   *     naming the setting to change ({@link BaseModel#mismatch})
   */
  public void requireServes(String expected, String clientId) {
    if (expected == null || expected.isEmpty()) {
      return;
    }
    lock.readLock().lock();
    try {
      if (identity().equals(expected) || follows(expected)) {
        return;
      }
      throw new BaseModel.ModelMismatch(
          "client "
              + clientId
              + " cannot serve the server's run: "
              + BaseModel.mismatch(this, expected));
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Whether these models follow the server to {@code expected}, another identity than the held
   * one's: they are a node's with {@code auto}, and {@code expected} names the held model's digest
   * in a precision this version knows. Called under the lock.
   */
  private boolean follows(String expected) {
    return reload != null
        && base.model().precision().setting().equals("auto")
        && BaseModel.precisionOf(expected) != null
        && BaseModel.sameDigest(identity(), expected);
  }

  /**
   * Loads the model in the server's precision if these models follow it to {@code expected} ({@link
   * #follows}); else leaves it (the caller then refuses). Called under the write lock.
   */
  private void follow(String expected, String clientId) {
    if (!follows(expected)) {
      return;
    }
    Precision server = BaseModel.precisionOf(expected);
    FrozenBase next;
    try {
      next = reload.load(new Precision.Choice("auto", server, FOLLOWING));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "client "
              + clientId
              + " cannot load its frozen model in "
              + server.label()
              + " to follow the server's run (model.precision auto): "
              + e.getMessage(),
          e);
    }
    FrozenBase old = base;
    base = next;
    baseIdentity = null;
    factories.clear();
    old.close();
    if (notes != null) {
      notes.accept(followingNote(ownChoice, server));
    }
  }

  /**
   * The line a node prints when it follows the server's precision, e.g. {@code model.precision
   * auto: following the server's run, bf16 (this CPU reports neither avx512_bf16 nor amx_bf16, so
   * bf16 products are slower here than fp32 ones)}.
   *
   * @param own what the node's {@code auto} resolved to on its CPU
   * @param server the server's precision
   */
  static String followingNote(Precision.Choice own, Precision server) {
    String line = "model.precision auto: following the server's run, " + server.label();
    if (server == Precision.BF16 && own.precision() == Precision.FP32) {
      line += " (" + own.reason() + ", so bf16 products are slower here than fp32 ones)";
    }
    return line;
  }

  /** {@link BaseModel#of} the held model; called under the lock. */
  private String identity() {
    String id = baseIdentity;
    if (id == null) {
      id = BaseModel.of(base);
      baseIdentity = id; // a benign race under the read lock: every thread computes the same
    }
    return id;
  }

  /** Closes the model held now if these are a node's models ({@link #ofNode}); else nothing. */
  @Override
  public void close() {
    if (reload == null) {
      return;
    }
    lock.writeLock().lock();
    try {
      factories.clear();
      base.close();
    } finally {
      lock.writeLock().unlock();
    }
  }
}
