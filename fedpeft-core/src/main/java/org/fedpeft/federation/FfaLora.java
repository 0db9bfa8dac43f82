package org.fedpeft.federation;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.Sha256;
import org.fedpeft.tensor.HostTensor;

/**
 * FFA-LoRA (Sun et al. 2024, "Improving LoRA in Privacy-preserving Federated Learning", ICLR 2024,
 * arXiv 2403.12313): A is frozen at its random init, shared by all clients; only B is trained and
 * averaged, {@code B' = mean_c B_c}. Because A is common, {@code B' A = mean_c B_c A} exactly.
 *
 * <p>A never travels. In a fedpeft run it is a FROZEN_SHARED tensor ({@link
 * org.fedpeft.peft.Role}): not in the server state at all, re-derived from the run seed by every
 * client, and checked by the client against the run's FROZEN_SHARED fingerprint ({@code
 * org.fedpeft.client.FrozenShared}). A caller that puts A into the initial state anyway (to export
 * it from the server) gets it kept but left out of the instructions, with its {@link
 * #frozenFingerprint} under {@value #FROZEN_A_KEY} in the config. An update that carries an A
 * tensor is rejected. Other GLOBAL tensors (a head) are averaged as in FedAvg.
 */
public final class FfaLora extends AbstractStrategy {

  /** Config key of the SHA-256 fingerprint of the frozen A tensors. */
  public static final String FROZEN_A_KEY = "ffa_lora.frozen_a_sha256";

  /** FFA-LoRA with the given options. */
  public FfaLora(StrategyOptions options) {
    super("ffa_lora", options);
  }

  @Override
  protected void checkInitial(Map<String, HostTensor> initialGlobal) {
    if (initialGlobal.keySet().stream().anyMatch(LoraNames::isA)) {
      LoraShapes.check(initialGlobal, name());
    }
  }

  @Override
  protected Map<String, HostTensor> downlink(ServerState state, String clientId) {
    return withoutA(state.global());
  }

  @Override
  protected Map<String, long[]> acceptedShapes(ServerState state) {
    return Wire.shapes(withoutA(state.global()));
  }

  @Override
  protected Map<String, String> strategyConfig(ServerState state, String clientId) {
    if (state.global().keySet().stream().noneMatch(LoraNames::isA)) {
      return Map.of(); // A is FROZEN_SHARED: the run's fingerprint covers it
    }
    return Map.of(FROZEN_A_KEY, frozenFingerprint(state.global()));
  }

  /**
   * SHA-256 (hex) of the safetensors serialization of the {@code *.lora_A} tensors among {@code
   * tensors}, without metadata; other tensors are ignored.
   */
  public static String frozenFingerprint(Map<String, HostTensor> tensors) {
    TreeMap<String, HostTensor> a = new TreeMap<>();
    tensors.forEach(
        (k, v) -> {
          if (LoraNames.isA(k)) {
            a.put(k, v);
          }
        });
    return Sha256.ofBytes(Safetensors.serialize(a, null));
  }

  private static SortedMap<String, HostTensor> withoutA(Map<String, HostTensor> global) {
    TreeMap<String, HostTensor> out = new TreeMap<>(global);
    out.keySet().removeIf(LoraNames::isA);
    return out;
  }
}
