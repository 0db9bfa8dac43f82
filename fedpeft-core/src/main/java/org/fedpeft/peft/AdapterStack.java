package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.LowRankDelta;
import org.fedpeft.random.Seeds;
import org.fedpeft.tensor.HostTensor;

/**
 * Several named adapters on one model, acting as one: the building block for a method that needs
 * more than one adapter (FedDPA's global and local LoRA, soft embeddings next to LoRA).
 *
 * <ul>
 *   <li>Tensors are named {@code <member>/<tensor>}; a member declared local has its GLOBAL tensors
 *       re-labelled LOCAL (they then stay on the client), its other roles kept; whether a tensor is
 *       trainable is kept as the member says.
 *   <li>Each member is created with its own seed, {@code Seeds.derive(seed, "adapter", key(name))},
 *       so two members of the same method never start identical by accident.
 *   <li>Hooks: the members' linear deltas are summed; the other insertion points are applied in
 *       member order; the first adapted layer is the lowest of the members'.
 *   <li>The round lifecycle reaches every member; the stack trains the union of the members'
 *       trainable tensors in one phase, and its uplink is the union of the GLOBAL members' uplinks.
 * </ul>
 */
public final class AdapterStack extends AbstractAdapter {

  /**
   * One member to create.
   *
   * @param name the member's name (letters, digits, '_' and '-')
   * @param method a registered adapter method
   * @param options the method's options
   * @param local whether the member's GLOBAL tensors are LOCAL in the stack
   */
  public record MemberSpec(String name, String method, Map<String, String> options, boolean local) {
    /** Validates the name. */
    public MemberSpec {
      if (!name.matches("[A-Za-z0-9_-]+")) {
        throw new IllegalArgumentException(
            "adapter name \"" + name + "\" must be letters, digits, '_' or '-'");
      }
      options = Map.copyOf(options);
    }
  }

  private final List<MemberSpec> specs;
  private final List<Adapter> members;

  private AdapterStack(List<MemberSpec> specs, List<Adapter> members) {
    super("stack");
    this.specs = List.copyOf(specs);
    this.members = List.copyOf(members);
    for (int i = 0; i < members.size(); i++) {
      MemberSpec spec = specs.get(i);
      for (AdapterTensor t : members.get(i).tensors()) {
        Role role = spec.local() && t.role() == Role.GLOBAL ? Role.LOCAL : t.role();
        addTensor(new AdapterTensor(spec.name() + "/" + t.name(), role, t.array(), t.trainable()));
      }
    }
  }

  /**
   * Creates every member on the encoder.
   *
   * @param seed the run's adapter seed; each member's seed derives from it and the member's name
   * @throws IllegalArgumentException for duplicate names or invalid options
   */
  public static AdapterStack create(List<MemberSpec> specs, BertEncoder encoder, long seed) {
    Set<String> names = new LinkedHashSet<>();
    for (MemberSpec s : specs) {
      if (!names.add(s.name())) {
        throw new IllegalArgumentException("two adapters are named " + s.name());
      }
    }
    List<Adapter> made = new ArrayList<>();
    try {
      for (MemberSpec s : specs) {
        made.add(
            AdapterRegistry.get(s.method())
                .create(s.options(), encoder, memberSeed(seed, s.name())));
      }
    } catch (RuntimeException e) {
      made.forEach(Adapter::close);
      throw e;
    }
    return new AdapterStack(specs, made);
  }

  /** The seed of the member named {@code name} in a stack created with {@code seed}. */
  public static long memberSeed(long seed, String name) {
    return Seeds.derive(seed, "adapter", Seeds.key(name));
  }

  /** The member of that name. */
  public Adapter member(String name) {
    for (int i = 0; i < specs.size(); i++) {
      if (specs.get(i).name().equals(name)) {
        return members.get(i);
      }
    }
    throw new IllegalArgumentException("no adapter named " + name);
  }

  @Override
  public Map<String, String> options() {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i < specs.size(); i++) {
      MemberSpec s = specs.get(i);
      o.put(s.name() + ".method", s.method());
      o.put(s.name() + ".local", Boolean.toString(s.local()));
      members.get(i).options().forEach((k, v) -> o.put(s.name() + "." + k, v));
    }
    return o;
  }

  /** Also switches every member. */
  @Override
  public void setEnabled(boolean enabled) {
    super.setEnabled(enabled);
    members.forEach(m -> m.setEnabled(enabled));
  }

  @Override
  public NDArray tokenEmbeddings(NDArray t, HookContext ctx) {
    for (Adapter m : members) {
      t = m.tokenEmbeddings(t, ctx);
    }
    return t;
  }

  @Override
  public NDArray afterEmbeddings(NDArray h, HookContext ctx) {
    for (Adapter m : members) {
      h = m.afterEmbeddings(h, ctx);
    }
    return h;
  }

  @Override
  public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
    NDArray sum = null;
    for (Adapter m : members) {
      NDArray d = m.linearDelta(layer, module, input, ctx);
      if (d != null) {
        sum = sum == null ? d : sum.add(d);
      }
    }
    return sum;
  }

  /**
   * The factors of the members that change module {@code module} of block {@code layer}, side by
   * side in member order ({@link LowRankDelta#sideBySide}); null when none does, or when one of
   * them offers no factors ({@link #linearDelta} then sums the members' whole changes).
   */
  @Override
  public LowRankDelta linearLowRank(int layer, int module, NDArray input, HookContext ctx) {
    LowRankDelta all = null;
    for (Adapter m : members) {
      if (m.changesLinear(layer, module)) {
        LowRankDelta f = m.linearLowRank(layer, module, input, ctx);
        if (f == null) {
          return null;
        }
        all = all == null ? f : LowRankDelta.sideBySide(all, f);
      }
    }
    return all;
  }

  /**
   * The replacement of the one member that replaces block {@code layer}, or null.
   *
   * @throws IllegalStateException if two members replace the same block
   */
  @Override
  public NDArray replaceBlock(int layer, NDArray hidden, HookContext ctx) {
    NDArray out = null;
    for (Adapter m : members) {
      NDArray r = m.replaceBlock(layer, hidden, ctx);
      if (r != null) {
        if (out != null) {
          throw new IllegalStateException("two members of the stack replace block " + layer);
        }
        out = r;
      }
    }
    return out;
  }

  @Override
  public NDArray afterBlock(int layer, NDArray hidden, HookContext ctx) {
    for (Adapter m : members) {
      hidden = m.afterBlock(layer, hidden, ctx);
    }
    return hidden;
  }

  /** True when every member allows two batches at once. */
  @Override
  public boolean concurrentBatches() {
    for (Adapter m : members) {
      if (!m.concurrentBatches()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    for (Adapter m : members) {
      if (m.changesLinear(layer, module)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int firstAdaptedLayer() {
    int first = Integer.MAX_VALUE;
    for (Adapter m : members) {
      first = Math.min(first, m.firstAdaptedLayer());
    }
    return first;
  }

  @Override
  public HookContext prepareBatch(HookContext ctx, NDArray ids, NDArray mask) {
    for (Adapter m : members) {
      ctx = m.prepareBatch(ctx, ids, mask);
    }
    return ctx;
  }

  @Override
  public void beginRound(RoundSpec spec) {
    members.forEach(m -> m.beginRound(spec));
  }

  @Override
  public Set<String> trainableThisRound(RoundSpec spec, GradientProbe probe) {
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < members.size(); i++) {
      String prefix = specs.get(i).name() + "/";
      GradientProbe memberProbe =
          names -> {
            Set<String> prefixed = new LinkedHashSet<>();
            names.forEach(n -> prefixed.add(prefix + n));
            Map<String, Double> norms = new LinkedHashMap<>();
            probe
                .gradientNorms(prefixed)
                .forEach((k, v) -> norms.put(k.substring(prefix.length()), v));
            return norms;
          };
      members.get(i).trainableThisRound(spec, memberProbe).forEach(n -> out.add(prefix + n));
    }
    return out;
  }

  @Override
  public Map<String, HostTensor> uplink(Set<String> trained) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (int i = 0; i < members.size(); i++) {
      MemberSpec s = specs.get(i);
      if (s.local()) {
        continue; // a local member's tensors never leave the client
      }
      String prefix = s.name() + "/";
      Set<String> own = new LinkedHashSet<>();
      for (String n : trained) {
        if (n.startsWith(prefix)) {
          own.add(n.substring(prefix.length()));
        }
      }
      members.get(i).uplink(own).forEach((k, v) -> out.put(prefix + k, v));
    }
    return out;
  }

  @Override
  public void close() {
    members.forEach(Adapter::close);
  }

  @Override
  public String toString() {
    return "AdapterStack" + Objects.toString(specs);
  }
}
