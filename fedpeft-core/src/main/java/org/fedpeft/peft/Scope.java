package org.fedpeft.peft;

/** Where an adapter tensor lives in a federation. */
public enum Scope {
  /** Travels to the server and is aggregated across clients. */
  GLOBAL,
  /** Stays on the client that trained it (personalisation state). */
  LOCAL
}
