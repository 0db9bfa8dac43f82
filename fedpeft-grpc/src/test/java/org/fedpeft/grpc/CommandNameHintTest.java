package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.fedpeft.io.CommandName;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA journey 2, 5 December: the node's stop on a server certificate that does not name the address
 * it dialled said "issue the server's certificate again with fedpeft certs --server-names", and a
 * missing TLS file "see 'fedpeft certs'", a bare {@code fedpeft} while the command line's hints
 * name the command as the user ran it ({@code ./fedpeft}). Both now take it from {@link
 * CommandName}.
 */
class CommandNameHintTest {

  @TempDir Path tmp;
  private SystemProperties.Restore name;

  @BeforeEach
  void setName() {
    name = SystemProperties.set(CommandName.PROPERTY, "./fedpeft");
  }

  @AfterEach
  void restoreName() {
    name.close();
  }

  @Test
  void hintsNameTheCommandAsTheUserRanIt() {
    assertEquals(
        "the server's certificate names [fl.example.org], not 127.0.0.1: dial one of those names,"
            + " or issue the server's certificate again with ./fedpeft certs --server-names",
        new ServerNameMismatchException(List.of("fl.example.org"), "127.0.0.1", null).getMessage());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TlsFiles.server(tmp).requireReadable());
    assertEquals(
        "TLS file "
            + tmp.resolve("ca.crt")
            + " does not exist or cannot be read (see './fedpeft certs')",
        e.getMessage());
  }
}
