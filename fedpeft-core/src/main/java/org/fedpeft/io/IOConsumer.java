package org.fedpeft.io;

import java.io.IOException;

/**
 * A consumer that may throw {@link IOException}, for example the body of {@link
 * AtomicFiles#writeWith(java.nio.file.Path, IOConsumer)}.
 *
 * @param <T> the type of the consumed value
 */
@FunctionalInterface
public interface IOConsumer<T> {

  /**
   * Consumes the value.
   *
   * @param value the value
   * @throws IOException if an I/O error occurs
   */
  void accept(T value) throws IOException;
}
