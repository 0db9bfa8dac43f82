package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.Precision;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A method's {@link AdapterMethod#validate} refuses every value of a number or text option that its
 * {@link AdapterMethod#create} refuses, with the same message, over every registered method: a run
 * checks its options with validate before the model loads, and a value validate passes must not
 * fail only once the adapter is made. QA, 5 December: {@code fedlora} and {@code fedsa-lora}
 * checked only their schema, so alpha = 1e300 (a finite double, infinite as a 32-bit float) passed
 * validate and was refused at create, while {@code lora}'s validate refused it. The numbers are
 * ones no float holds (too large, or above 0 and 0 as a float), and the texts unknown names (for
 * {@code factors}, files that do not exist), which refusals of a fit to the encoder cannot explain.
 */
class ValidateRefusesWhatCreateRefusesTest {

  static ConformanceFixture fixture;

  @BeforeAll
  static void setUp() throws IOException {
    fixture = new ConformanceFixture(Precision.FP32);
  }

  @AfterAll
  static void tearDown() {
    fixture.close();
  }

  static List<Arguments> optionValues() {
    List<Arguments> out = new ArrayList<>();
    for (AdapterMethod m : AdapterRegistry.builtIn().values()) {
      for (ConfigSchema.Key k : m.optionSchema().keys().values()) {
        boolean text =
            k.type() == ConfigSchema.Type.STRING || k.type() == ConfigSchema.Type.STRING_LIST;
        // ravan's and fed-sb's factors name a file: these values name files that do not exist
        if (text) {
          for (String value : List.of("bogus", "", "query+bogus", "-1")) {
            out.add(Arguments.of(m.name(), k.name(), value));
          }
        }
        if (k.type() == ConfigSchema.Type.DOUBLE) {
          for (String value : List.of("1e300", "-1e300", "1e-300", "0.99999999999")) {
            out.add(Arguments.of(m.name(), k.name(), value));
          }
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}={2}")
  @MethodSource("optionValues")
  void validateRefusesWhatCreateRefuses(String method, String option, String value) {
    AdapterMethod m = AdapterRegistry.get(method);
    Map<String, String> options = Map.of(option, value);
    String atCreate = null;
    try (Adapter a = m.create(options, fixture.encoder, 7)) {
      assertEquals(method, a.method());
    } catch (IllegalArgumentException e) {
      atCreate = e.getMessage();
    }
    String atValidate = null;
    try {
      m.validate(options);
    } catch (IllegalArgumentException e) {
      atValidate = e.getMessage();
    }
    assertEquals(atCreate, atValidate, "validate and create of " + method + " " + option);
  }

  /**
   * QA, 5 December: validate did not read Ravan's and Fed-SB's {@code factors} file, so a missing,
   * unreadable or garbled file passed the check a run makes before it loads the model and was
   * refused only by create, on the model. validate now refuses it with create's message, naming the
   * method, the option and the file; {@link AdapterMethod#validateValues} (a config's check, which
   * also reads a saved run's config) still reads no file. Fails on the old code.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ravan", "fed-sb"})
  void aFactorsFileCreateCannotReadIsRefusedByValidate(String method, @TempDir Path dir)
      throws IOException {
    Path garbled = Files.writeString(dir.resolve("garbled.safetensors"), "not safetensors at all");
    Path folder = Files.createDirectory(dir.resolve("a-folder.safetensors"));
    for (Path file : List.of(dir.resolve("missing.safetensors"), garbled, folder)) {
      AdapterMethod m = AdapterRegistry.get(method);
      Map<String, String> options = Map.of("factors", file.toString(), "targets", "query");
      IllegalArgumentException atValidate =
          assertThrows(IllegalArgumentException.class, () -> m.validate(options));
      assertTrue(
          atValidate
              .getMessage()
              .startsWith(method + ": option 'factors' = " + file + ": cannot read it ("),
          atValidate.getMessage());
      IllegalArgumentException atCreate =
          assertThrows(IllegalArgumentException.class, () -> m.create(options, fixture.encoder, 7));
      assertEquals(atCreate.getMessage(), atValidate.getMessage(), file.toString());
      m.validateValues(options);
    }
  }

  /**
   * An alpha no 32-bit float holds is refused by LoRA's option check, naming the method, the option
   * and what it must be, rather than by the LoRA config ("lora: alpha must be positive, got
   * Infinity", which named lora for fedlora and called 1e300 not positive). Fails on the old code.
   */
  @ParameterizedTest
  @ValueSource(strings = {"lora", "fedlora", "fedsa-lora", "feddpa"})
  void anAlphaNoFloatHoldsIsRefusedNamingTheMethodAndTheOption(String method) {
    for (String value : List.of("1e300", "1e-300")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> AdapterRegistry.get(method).validate(Map.of("alpha", value)));
      assertEquals(
          method
              + ": option 'alpha' = "
              + value
              + " is invalid: > 0 as a 32-bit float: about 1.4e-45 to 3.4e38",
          e.getMessage());
    }
  }

  /**
   * A dropout below 1 that is 1 as a 32-bit float is refused by the option check, naming the method
   * and the option, rather than by the config ("lora: dropout must be in [0, 1), got 1.0", which
   * named lora for fedlora, fedsa-lora and feddpa, and a value that was not the one given). Fails
   * on the old code.
   */
  @ParameterizedTest
  @ValueSource(strings = {"lora", "fedlora", "fedsa-lora", "feddpa", "ravan", "fed-sb"})
  void aDropoutThatIsOneAsAFloatIsRefusedNamingTheMethodAndTheOption(String method) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AdapterRegistry.get(method).validate(Map.of("dropout", "0.99999999999")));
    assertEquals(
        method + ": option 'dropout' = 0.99999999999 is invalid: in [0, 1) as a 32-bit float",
        e.getMessage());
    AdapterRegistry.get(method).validate(Map.of("dropout", "0.9999999"));
  }
}
