package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * QA, 3 December: retention's empty-split message said "1 retrieval queries" and "1 test examples".
 * A noun whose plural is not its singular with an "s" takes both forms.
 */
class IrregularPluralTest {

  @Test
  void theGivenPluralForEveryCountButOne() {
    assertEquals("query", Words.plural(1, "query", "queries"));
    assertEquals("queries", Words.plural(0, "query", "queries"));
    assertEquals("queries", Words.plural(2, "query", "queries"));
  }
}
