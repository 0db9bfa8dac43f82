package org.fedpeft.peft.expansion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A FedBE run with the default block spacing recorded "positions": "" in summary.json's
 * adapter_options_resolved, report.html ("positions = ") and the saved adapter, so nothing said
 * where the new blocks were. The adapter's options now hold the positions it built, and building
 * from them gives the same blocks.
 */
class ExpansionResolvedPositionsTest {

  @BeforeAll
  static void setUp() throws Exception {
    ExpansionAdapterTest.setUp();
  }

  @AfterAll
  static void tearDown() {
    ExpansionAdapterTest.tearDown();
  }

  @Test
  void theDefaultPositionsAreMadeExplicit() {
    // the tiny encoder has 2 base blocks: 2 new blocks follow blocks 0 and 1, 3 follow 0, 1, 1
    try (ExpansionAdapter a = ExpansionAdapterTest.create(Map.of())) {
      assertEquals("0+1", a.options().get("positions"));
      try (ExpansionAdapter again = ExpansionAdapterTest.create(a.options())) {
        assertEquals(a.positions(), again.positions());
        assertEquals(a.options(), again.options());
      }
    }
    try (ExpansionAdapter a = ExpansionAdapterTest.create(Map.of("blocks", "3"))) {
      assertEquals(List.of(0, 1, 1), a.positions());
      assertEquals("0+1+1", a.options().get("positions"));
    }
    try (ExpansionAdapter a =
        ExpansionAdapterTest.create(Map.of("blocks", "2", "positions", "0+0"))) {
      assertEquals("0+0", a.options().get("positions"));
    }
  }
}
