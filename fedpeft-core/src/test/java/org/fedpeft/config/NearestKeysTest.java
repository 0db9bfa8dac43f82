package org.fedpeft.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class NearestKeysTest {

  @Test
  void levenshteinDistances() {
    assertEquals(0, NearestKeys.distance("rank", "rank"));
    assertEquals(1, NearestKeys.distance("roundz", "rounds"));
    assertEquals(2, NearestKeys.distance("rnak", "rank"));
    assertEquals(3, NearestKeys.distance("kitten", "sitting"));
    assertEquals(4, NearestKeys.distance("", "seed"));
  }

  @Test
  void suggestsTheNearestKeysOnly() {
    List<String> known = List.of("rounds", "seed", "client.learning_rate", "server.learning_rate");
    assertEquals(List.of("rounds"), NearestKeys.of("roundz", known));
    assertEquals(
        List.of("client.learning_rate", "server.learning_rate"),
        NearestKeys.of("learning_rate", known));
    assertEquals(List.of(), NearestKeys.of("colour", known));
    assertEquals(" (did you mean 'seed'?)", NearestKeys.didYouMean("sed", known, "'"));
    assertEquals("", NearestKeys.didYouMean("colour", known, "'"));
  }
}
