package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.fedpeft.io.Safetensors;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientStateStoreTest {

  @TempDir Path dir;

  private static final List<String> IDS =
      List.of("client-1", "../evil", ".hidden", "ünï/code", "a b%20", "x.y", "CON");

  private ClientStateStore store(String kind) {
    return kind.equals("disk")
        ? ClientStateStore.onDisk(dir.resolve("local"))
        : ClientStateStore.inMemory();
  }

  private static ClientState local(float v) {
    return new ClientState(
        Fx.tensors(
            "dpa.local.m.lora_A",
            Fx.mat(1, 2, v, -v),
            "dpa.local.m.lora_B",
            Fx.mat(2, 1, 0, -0.0f)),
        Map.of("privacy.sample.accountant", "{\"v\": " + v + "}", "note", "ünï \"quoted\"\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "disk"})
  void roundTripPerClient(String kind) throws IOException {
    ClientStateStore s = store(kind);
    assertTrue(s.load("client-1").isEmpty());
    for (int i = 0; i < IDS.size(); i++) {
      s.save(IDS.get(i), local(i));
    }
    for (int i = 0; i < IDS.size(); i++) {
      assertEquals(local(i), s.load(IDS.get(i)).orElseThrow(), IDS.get(i));
    }
    assertEquals(new TreeSet<>(IDS), s.clientIds());
    s.save("client-1", local(42));
    assertEquals(local(42), s.load("client-1").orElseThrow());
    s.delete("client-1");
    assertTrue(s.load("client-1").isEmpty());
    assertFalse(s.clientIds().contains("client-1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "disk"})
  void storedStateIsACopy(String kind) throws IOException {
    ClientStateStore s = store(kind);
    HostTensor t = vec(1, 2);
    s.save("a", new ClientState(Map.of("x", t), Map.of()));
    t.data()[0] = 99;
    HostTensor loaded = s.load("a").orElseThrow().tensors().get("x");
    assertEquals(vec(1, 2), loaded);
    loaded.data()[1] = 77;
    assertEquals(vec(1, 2), s.load("a").orElseThrow().tensors().get("x"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory", "disk"})
  void valuesAndTensorsTravelTogetherAndEveryClientIsListed(String kind) throws IOException {
    ClientStateStore s = store(kind);
    ClientState onlyValues = ClientState.EMPTY.withValue("k", "v");
    s.save("b", onlyValues);
    s.save("a", local(3).withValue("k", "w"));
    assertEquals(onlyValues, s.load("b").orElseThrow());
    assertEquals("w", s.load("a").orElseThrow().value("k").orElseThrow());
    assertEquals(local(3).tensors(), s.load("a").orElseThrow().tensors());
    assertEquals(List.of("a", "b"), List.copyOf(s.clientIds()));
  }

  @Test
  void diskStoreWritesOneSafeFilePerClientAndNoTemporaries() throws IOException {
    ClientStateStore s = store("disk");
    for (String id : IDS) {
      s.save(id, local(1));
    }
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir.resolve("local"))) {
      files.forEach(p -> names.add(p.getFileName().toString()));
    }
    assertEquals(IDS.size(), names.size(), names.toString());
    for (String n : names) {
      assertTrue(n.endsWith(".safetensors") && !n.startsWith(".") && !n.contains("/"), n);
    }
    assertTrue(names.contains("client-1.safetensors"));
    assertTrue(names.contains("%2E.%2Fevil.safetensors"));
    // each file is plain safetensors with the client id in its metadata
    var f = Safetensors.read(dir.resolve("local/client-1.safetensors"));
    assertEquals("client-1", f.metadata().get("client_id"));
  }

  /**
   * QA, 2 December: a server killed after its clients had fitted round 3, and resumed from its
   * round-2 checkpoint, ran round 3 again on top of the state round 3 had already left, so a
   * FedSA-LoRA run ended unlike its simulation. A round run again starts from the state before it.
   */
  @Test
  void aRoundRunAgainStartsFromTheStateBeforeIt() throws IOException {
    ClientStateStore s = store("disk");
    assertTrue(s.loadAsOf("c", 0).isEmpty());
    s.save("c", 1, local(1));
    assertEquals(local(1), s.loadAsOf("c", 1).orElseThrow()); // evaluation of round 1
    assertTrue(s.loadAsOf("c", 0).isEmpty(), "round 1 run again starts from nothing");
    s.save("c", 1, local(11)); // ... and replaces what its first attempt left
    assertEquals(local(11), s.loadAsOf("c", 1).orElseThrow());
    s.save("c", 3, local(3)); // the client sat out round 2
    assertEquals(local(3), s.loadAsOf("c", 3).orElseThrow());
    assertEquals(local(11), s.loadAsOf("c", 2).orElseThrow(), "round 3 run again");
    s.save("c", 3, local(33));
    assertEquals(local(33), s.loadAsOf("c", 4).orElseThrow());
    assertEquals(local(11), s.loadAsOf("c", 2).orElseThrow(), "the state before round 3 is kept");
    s.save("c", 4, local(4));
    assertEquals(local(33), s.loadAsOf("c", 3).orElseThrow());
    assertEquals(Set.of("c"), s.clientIds(), "the kept version is no client of its own");
    s.delete("c");
    assertTrue(s.loadAsOf("c", 3).isEmpty());
    // the in-memory store of a simulation keeps one version (its checkpoint holds the rest)
    ClientStateStore m = store("memory");
    m.save("c", 1, local(1));
    assertEquals(local(1), m.loadAsOf("c", 0).orElseThrow());
  }

  /** QA, 2 December: a --state folder of an earlier run was loaded into a new run. */
  @Test
  void stateOfAnotherRunIsRefused() throws IOException {
    ClientStateStore s = store("disk");
    s.bindTo("run-a"); // an empty folder binds to any run
    s.bindTo("run-b");
    s.save("c", 1, local(1));
    s.bindTo("run-b"); // a restarted client, or a resumed server, of the same run
    IOException e = assertThrows(IOException.class, () -> s.bindTo("run-c"));
    assertTrue(
        e.getMessage()
            .contains(
                "holds the LOCAL client state of another run (run-b; the server's"
                    + " run is run-c)"),
        e.getMessage());
    assertEquals(Set.of("c"), ClientStateStore.onDisk(dir.resolve("local")).clientIds());
    store("memory").bindTo("any"); // a simulation's store binds nothing
  }

  /**
   * The run a restarted client names in its HELLO: the one its stored state is bound to; a store
   * holding no state (which a new run may take) names none.
   */
  @Test
  void boundRunIsTheRunOfTheStoredState() throws IOException {
    ClientStateStore s = store("disk");
    assertEquals(null, s.boundRun());
    s.bindTo("run-a");
    assertEquals(null, s.boundRun(), "no state yet: a new run may take the folder");
    s.save("c", 1, local(1));
    assertEquals("run-a", s.boundRun());
    assertEquals("run-a", ClientStateStore.onDisk(dir.resolve("local")).boundRun());
    assertEquals(null, store("memory").boundRun());
  }

  /**
   * Audit, leftovers: a run-id.txt that is not UTF-8 (edited in another encoding) stopped the
   * client with Java's bare "Input length = 1", naming no file; it is named, with the first byte
   * that is not UTF-8.
   */
  @Test
  void aRunMarkerThatIsNotUtf8IsNamed() throws IOException {
    ClientStateStore s = store("disk");
    s.bindTo("run-a");
    s.save("c", 1, local(1));
    Path marker = dir.resolve("local").resolve("run-id.txt");
    Files.write(marker, new byte[] {'r', 'u', 'n', (byte) 0xe9, '\n'});
    String named = marker + ": not valid UTF-8 (byte 4 of the file)";
    assertEquals(named, assertThrows(IllegalArgumentException.class, s::boundRun).getMessage());
    assertEquals(
        named, assertThrows(IllegalArgumentException.class, () -> s.bindTo("run-b")).getMessage());
  }

  @Test
  void aFileOfAnotherClientIsDetected() throws IOException {
    ClientStateStore s = store("disk");
    s.save("a", local(1));
    Files.copy(dir.resolve("local/a.safetensors"), dir.resolve("local/b.safetensors"));
    // Bad input as a damaged file is, not an I/O error (the command line's exit 2, not 1).
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.load("b"));
    assertTrue(e.getMessage().contains("client 'a', not 'b'"), e.getMessage());
  }
}
