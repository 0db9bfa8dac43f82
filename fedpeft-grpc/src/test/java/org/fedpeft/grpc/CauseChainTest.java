package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/** The cause chain the node's and the server's failure reports read (guards a refactor). */
class CauseChainTest {

  @Test
  void outermostFirstCutAtTheLimitEmptyForNull() {
    IOException root = new IOException("reset");
    SSLException ssl = new SSLException("handshake", root);
    RuntimeException top = new RuntimeException("stream", ssl);
    assertEquals(List.of(top, ssl, root), CauseChain.of(top, 10));
    assertEquals(List.of(top, ssl), CauseChain.of(top, 2));
    assertEquals(List.of(), CauseChain.of(null, 10));
  }

  @Test
  void aChainThatLoopsEndsAtTheLimit() {
    Exception a = new Exception("a");
    Exception b = new Exception("b", a);
    a.initCause(b);
    assertEquals(List.of(a, b, a, b, a), CauseChain.of(a, 5));
  }
}
