package org.fedpeft.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.Objective;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one client: what it refuses in a downlink (a tensor that is not GLOBAL, FROZEN_SHARED tensors
 * that differ from its own), that its run settings survive the trip through the instruction config,
 * and how a round's steps are split over phases.
 */
class PeftClientTest {

  static FrozenBase base;
  static ClientModels models;
  static ClientData data;
  static final ModelSpec FFA =
      new ModelSpec("lora", Map.of("rank", "2", "train_a", "false"), 7, 3, 8);

  @BeforeAll
  static void setUp() throws Exception {
    base = new FrozenBase(TinyModels.tiny(3));
    models = new ClientModels(base);
    data = twelveExamples(base);
  }

  /** Client "c" with 12 examples of 3 labels on {@code base}'s tokenizer, trained and held out. */
  static ClientData twelveExamples(FrozenBase base) {
    List<String> texts = new ArrayList<>();
    int[] labels = new int[12];
    for (int i = 0; i < 12; i++) {
      texts.add("word " + i + " of topic " + (i % 3));
      labels[i] = i % 3;
    }
    EncodedExamples train = EncodedExamples.encode(base.tokenizer(), texts, labels);
    return new ClientData("c", 0, train, train);
  }

  @AfterAll
  static void tearDown() {
    base.close();
  }

  static RunSettings settings(ModelSpec spec, String fingerprint) {
    return RunSettingsFixtures.classification(spec, 2, 1e-2, 4, 0, 1.0, 0, null, fingerprint);
  }

  static Map<String, HostTensor> globalOf(ModelSpec spec) {
    Map<String, HostTensor> g = new TreeMap<>();
    try (ModelFactory.Instance m = models.factory(spec).instantiate(Map.of())) {
      m.model()
          .tensors()
          .forEach(
              t -> {
                if (t.role() == Role.GLOBAL) {
                  g.put(t.name(), org.fedpeft.peft.Adapter.Tensors.toHost(t.array()));
                }
              });
    }
    return g;
  }

  static String fingerprintOf(ModelSpec spec) {
    try (ModelFactory.Instance m = models.factory(spec).instantiate(Map.of())) {
      return FrozenShared.fingerprint(m.model());
    }
  }

  PeftClient client() {
    return new PeftClient(data, models, ClientStateStore.inMemory(), (r, p) -> null, 1);
  }

  /**
   * QA, 3 December: under sample-level DP a round run again (the server resumed from its checkpoint
   * after this client had fitted and sent the round) restarted from the earlier state, accountant
   * included, so the first attempt's released update was not charged. The tensors restart; the
   * charges stay: fitting round 1 twice spends what fitting rounds 1 and 2 does.
   */
  @Test
  void aRoundRunAgainUnderSampleDpKeepsTheFirstAttemptCharged(@TempDir Path dir) {
    SampleLevelDp.Config dp = new SampleLevelDp.Config(new DpSgd.Config(1.0, 1.0, 4), 0, 1e-5);
    String fp = fingerprintOf(FFA);
    Map<String, String> config =
        RunSettingsFixtures.classification(FFA, 2, 1e-2, 4, 0, 1.0, 0, dp, fp).toConfig();
    PeftClient.NoiseSource noise = (r, p) -> GaussianNoise.seededForTestsOnly(r * 31L + p);
    PeftClient twoRounds =
        new PeftClient(data, models, ClientStateStore.onDisk(dir.resolve("a")), noise, 1);
    twoRounds.fit(new FitInstructions("c", 1, globalOf(FFA), config));
    double twice =
        twoRounds
            .fit(new FitInstructions("c", 2, globalOf(FFA), config))
            .metrics()
            .get("dp_sample_epsilon");
    PeftClient rerun =
        new PeftClient(data, models, ClientStateStore.onDisk(dir.resolve("b")), noise, 1);
    double once =
        rerun
            .fit(new FitInstructions("c", 1, globalOf(FFA), config))
            .metrics()
            .get("dp_sample_epsilon");
    double again =
        rerun
            .fit(new FitInstructions("c", 1, globalOf(FFA), config))
            .metrics()
            .get("dp_sample_epsilon");
    assertTrue(once < twice, once + " vs " + twice);
    assertEquals(twice, again, 0.0, "the first attempt's steps stay charged");
  }

  @Test
  void runSettingsSurviveTheInstructionConfig() {
    RunSettings s = settings(FFA, "abc");
    assertEquals(s, RunSettings.fromConfig(s.toConfig()));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RunSettings.fromConfig(Map.of()));
    assertTrue(e.getMessage().contains("run.adapter.method"), e.getMessage());
    // The contrastive objective travels with its temperature; classification adds no key.
    RunSettings c =
        RunSettingsFixtures.withObjective(s, new Objective(Objective.Kind.CONTRASTIVE, 0.07));
    assertEquals(c, RunSettings.fromConfig(c.toConfig()));
    assertEquals("contrastive", c.toConfig().get("run.objective"));
    assertFalse(s.toConfig().keySet().stream().anyMatch(k -> k.startsWith("run.objective")));
    // The head's own learning rate travels when set; without it the head takes the adapter's.
    RunSettings h = RunSettingsFixtures.withHeadLearningRate(s, 3e-3);
    assertEquals(h, RunSettings.fromConfig(h.toConfig()));
    assertEquals("0.003", h.toConfig().get("run.head.learning_rate"));
    assertEquals(3e-3, h.headLearningRate(0.5));
    assertFalse(s.toConfig().containsKey("run.head.learning_rate"));
    assertEquals(0.5, s.headLearningRate(0.5));
  }

  @Test
  void aClientTrainsWithTheServersFrozenTensorsAndSendsOnlyGlobalOnes() throws Exception {
    String fp = fingerprintOf(FFA);
    assertEquals(64, fp.length(), "FFA-LoRA's A is FROZEN_SHARED");
    ClientUpdate u =
        client().fit(new FitInstructions("c", 1, globalOf(FFA), settings(FFA, fp).toConfig()));
    assertTrue(
        u.tensors().keySet().stream().noneMatch(n -> n.endsWith("lora_A")),
        u.tensors().keySet().toString());
    assertTrue(u.tensors().keySet().stream().anyMatch(n -> n.endsWith("lora_B")));
  }

  @Test
  void aClientRefusesFrozenSharedTensorsThatDifferFromItsOwn() {
    ModelSpec otherSeed = new ModelSpec(FFA.method(), FFA.options(), 99, 3, 8);
    String serverFp = fingerprintOf(otherSeed);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                client()
                    .fit(
                        new FitInstructions(
                            "c", 1, globalOf(FFA), settings(FFA, serverFp).toConfig())));
    assertTrue(e.getMessage().contains("FROZEN_SHARED"), e.getMessage());
    assertTrue(e.getMessage().contains(serverFp), e.getMessage());
  }

  @Test
  void aDownlinkCarryingANonGlobalTensorIsRefused() {
    Map<String, HostTensor> down = new TreeMap<>(globalOf(FFA));
    String a = "encoder.layer.0.attention.self.query.lora_A";
    try (ModelFactory.Instance m = models.factory(FFA).instantiate(Map.of())) {
      down.put(a, org.fedpeft.peft.Adapter.Tensors.toHost(m.model().tensors().get(0).array()));
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> models.factory(FFA).instantiate(down));
    assertEquals(
        "received tensor "
            + a
            + " is FROZEN_SHARED in this model; only GLOBAL tensors travel between server and"
            + " client",
        e.getMessage());
  }

  @Test
  void phasesSplitTheRoundsStepsExactly() {
    TrainingPhase half = new TrainingPhase("a", java.util.Set.of(), true, 0.5);
    TrainingPhase third = new TrainingPhase("b", java.util.Set.of(), true, 1.0 / 3);
    assertArrayEquals(new int[] {7}, TrainingPhase.splitSteps(List.of(half), 7));
    // 7 * 0.5 / 0.5 each = 3.5: floors 3 and 3, the one left goes to the first largest remainder
    assertArrayEquals(new int[] {4, 3}, TrainingPhase.splitSteps(List.of(half, half), 7));
    // shares 0.5 : 1/3 = 0.6 : 0.4 of 10 steps
    assertArrayEquals(new int[] {6, 4}, TrainingPhase.splitSteps(List.of(half, third), 10));
    assertArrayEquals(new int[] {1, 1}, TrainingPhase.splitSteps(List.of(half, third), 2));
    assertThrows(
        IllegalArgumentException.class, () -> TrainingPhase.splitSteps(List.of(half, half), 1));
  }

  /**
   * QA, 5 December: a node whose frozen model differed from the server's (another model folder, or
   * model.precision = "auto" resolving to fp32 on one machine and bf16 on another) trained and sent
   * updates of another model without a word; a bf16 server with an fp32 node completed with other
   * figures than its simulation. The server now names its model's digest and precision in every
   * instruction, and a client whose own differ refuses the round, saying what to change.
   */
  @Test
  void aClientWhoseFrozenModelIsNotTheServersRefusesTheRound() {
    String ours = BaseModel.of(base);
    String digest = base.model().sha256();
    assertEquals(digest + " fp32", ours);
    RunSettings same = RunSettingsFixtures.withBaseModel(settings(FFA, fingerprintOf(FFA)), ours);
    assertEquals(same, RunSettings.fromConfig(same.toConfig()));
    assertEquals(ours, same.toConfig().get(BaseModel.KEY));
    client().fit(new FitInstructions("c", 1, globalOf(FFA), same.toConfig()));
    assertFalse(
        settings(FFA, "").toConfig().containsKey(BaseModel.KEY), "nothing sent, nothing checked");

    Map<String, String> bf16 = RunSettingsFixtures.withBaseModel(same, digest + " bf16").toConfig();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> client().fit(new FitInstructions("c", 1, globalOf(FFA), bf16)));
    assertEquals(
        "client c refuses the round: it holds its frozen model in fp32 (model.precision fp32),"
            + " the server's run in bf16; set model.precision to bf16 on this node, or to auto,"
            + " with which a node follows the server's precision",
        e.getMessage());
    e =
        assertThrows(
            IllegalStateException.class,
            () ->
                client()
                    .evaluate(
                        new org.fedpeft.federation.EvaluateInstructions(
                            "c", 1, globalOf(FFA), bf16)));
    assertTrue(e.getMessage().startsWith("client c refuses the round: it holds"), e.getMessage());

    String other = "0123456789abcdef" + digest.substring(16) + " fp32";
    e =
        assertThrows(
            IllegalStateException.class,
            () ->
                client()
                    .fit(
                        new FitInstructions(
                            "c",
                            1,
                            globalOf(FFA),
                            RunSettingsFixtures.withBaseModel(same, other).toConfig())));
    assertEquals(
        "client c refuses the round: its frozen model "
            + base.model().name()
            + " (weights and tokenizer digest "
            + digest.substring(0, 12)
            + ") is not the server's (digest 0123456789ab); give it the model the server uses"
            + " (model.name, --model)",
        e.getMessage());
  }
}
