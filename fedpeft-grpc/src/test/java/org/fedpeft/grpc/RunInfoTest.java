package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * QA, 5 December: the WELCOME payload names the run's frozen model ({@code base_model}), so that a
 * node whose model cannot serve the run refuses it at the welcome. The key is optional both ways: a
 * payload without it (an older server's) reads as before, with no model, and a reader ignores keys
 * it does not know (what an older node does with {@code base_model}).
 */
class RunInfoTest {

  @Test
  void theRunsFrozenModelTravelsInTheWelcome() {
    RunInfo info =
        new RunInfo(
            List.of("t0", "t1"), List.of("a"), "run-7", Map.of("client-0", "d0"), "abc123 bf16");
    String json = new String(info.toBytes(), StandardCharsets.UTF_8);
    assertEquals(
        "{\"labels\":[\"t0\",\"t1\"],\"tasks\":[\"a\"],\"run\":\"run-7\","
            + "\"client_data\":{\"client-0\":\"d0\"},\"base_model\":\"abc123 bf16\"}",
        json);
    assertEquals(info, RunInfo.fromBytes(info.toBytes()));
  }

  @Test
  void aWelcomeWithoutTheKeyNamesNoModelAndUnknownKeysAreIgnored() {
    RunInfo old =
        RunInfo.fromBytes(
            "{\"labels\":[\"t0\"],\"tasks\":[],\"run\":\"r\"}".getBytes(StandardCharsets.UTF_8));
    assertNull(old.baseModel());
    assertEquals(new RunInfo(List.of("t0"), List.of(), "r", Map.of()), old);
    assertEquals(
        "{\"labels\":[\"t0\"],\"tasks\":[],\"run\":\"r\"}",
        new String(old.toBytes(), StandardCharsets.UTF_8),
        "nothing written for a run that names no model");
    RunInfo newer =
        RunInfo.fromBytes(
            "{\"labels\":[\"t0\"],\"base_model\":\"abc fp32\",\"later\":{\"x\":1}}"
                .getBytes(StandardCharsets.UTF_8));
    assertEquals("abc fp32", newer.baseModel());
  }

  /**
   * QA, 5 December: the WELCOME payload was read with gson's lenient parser, so a repeated key took
   * its last value without a word; it is parsed as strictly as a run folder's JSON files, and the
   * node refuses the run saying what is wrong. Fails on the old code.
   */
  @Test
  void aWelcomeWithARepeatedKeyOrLenientJsonIsRefused() {
    assertEquals(
        "the server's run description is not valid: duplicate key 'run' at line 1 column 29",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    RunInfo.fromBytes(
                        "{\"labels\":[\"t0\"],\"run\":\"a\",\"run\":\"b\"}"
                            .getBytes(StandardCharsets.UTF_8)))
            .getMessage());
    assertEquals(
        "the server's run description is not valid: not valid JSON: content after the JSON value"
            + " at line 1 column 16",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    RunInfo.fromBytes(
                        "{\"labels\":[]} /*\"run\":\"b\"*/".getBytes(StandardCharsets.UTF_8)))
            .getMessage());
  }

  /**
   * QA, 5 December: the WELCOME payload was decoded with {@code new String(bytes, UTF_8)}, which
   * puts U+FFFD in place of bytes that are not UTF-8 and goes on, so a node took a label it could
   * not have meant. It is decoded strictly, and refused naming the byte. Fails on the old code.
   */
  @Test
  void aWelcomeThatIsNotUtf8IsRefusedNamingTheByte() {
    byte[] latin1 = "{\"labels\":[\"caf\u00e9\"]}".getBytes(StandardCharsets.ISO_8859_1);
    assertEquals(
        "the server's run description is not valid UTF-8 (byte 16 of 19)",
        assertThrows(IllegalArgumentException.class, () -> RunInfo.fromBytes(latin1)).getMessage());
    byte[] cut = "{\"labels\":[\"caf\u00e9\"]}".getBytes(StandardCharsets.UTF_8);
    byte[] truncated = java.util.Arrays.copyOf(cut, 16); // ends inside the two bytes of the e
    assertEquals(
        "the server's run description is not valid UTF-8 (byte 16 of 16)",
        assertThrows(IllegalArgumentException.class, () -> RunInfo.fromBytes(truncated))
            .getMessage());
    assertEquals(List.of("caf\u00e9"), RunInfo.fromBytes(cut).labels(), "UTF-8 reads as before");
  }
}
