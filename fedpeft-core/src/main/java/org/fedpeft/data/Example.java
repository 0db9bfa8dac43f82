package org.fedpeft.data;

import java.util.Objects;

/**
 * One labelled text.
 *
 * @param text the input text, never null
 * @param label the label name, never null
 * @param client the natural owner of the example (the {@code client} column of a user's file), or
 *     null when there is none
 * @param task the task the example belongs to (multi-task federations), or null
 */
public record Example(String text, String label, String client, String task) {

  /** Checks that text and label are present. */
  public Example {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(label, "label");
  }

  /** An example with no client and no task. */
  public static Example of(String text, String label) {
    return new Example(text, label, null, null);
  }
}
