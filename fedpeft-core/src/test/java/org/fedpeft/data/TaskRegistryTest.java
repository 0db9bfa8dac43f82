package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tasks come in through {@link java.util.ServiceLoader}: one class plus one services line. */
class TaskRegistryTest {

  /** A task written only in the tests; it is its own provider. */
  public static final class ToyTask implements Task, TaskProvider {
    /** For ServiceLoader. */
    public ToyTask() {}

    @Override
    public List<Task> tasks() {
      return List.of(this);
    }

    @Override
    public String name() {
      return "toy-parity";
    }

    @Override
    public String description() {
      return "a number word -> even or odd";
    }

    @Override
    public Set<String> parameters() {
      return Set.of();
    }

    @Override
    public TaskSplits load(long seed, TaskOptions options) {
      options.requireKnownParams(name(), parameters());
      List<Example> ex = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        ex.add(new Example("number " + i, i % 2 == 0 ? "even" : "odd", null, name()));
      }
      return Splits.stratified(name(), Dataset.of(name(), ex), options, seed);
    }
  }

  /** A provider whose task reuses a bundled name. */
  public static final class Clash implements TaskProvider {
    @Override
    public List<Task> tasks() {
      return List.of(new WordNetPosTask());
    }
  }

  private static URLClassLoader withServicesLine(Path dir, String line) throws Exception {
    Path services = dir.resolve("META-INF/services/" + TaskProvider.class.getName());
    Files.createDirectories(services.getParent());
    Files.writeString(services, line + "\n");
    return new URLClassLoader(
        new URL[] {dir.toUri().toURL()}, TaskRegistryTest.class.getClassLoader());
  }

  @Test
  void aTaskIsOneClassPlusOneServicesLine(@TempDir Path dir) throws Exception {
    Map<String, Task> found;
    try (URLClassLoader loader = withServicesLine(dir, ToyTask.class.getName())) {
      found = Tasks.discover(loader);
    }
    assertTrue(found.containsKey("toy-parity"), found.keySet().toString());
    assertTrue(found.keySet().containsAll(Tasks.names()), found.keySet().toString());
    assertEquals(Tasks.names().size() + 1, found.size());
    TaskSplits s = found.get("toy-parity").load(3, TaskOptions.defaults());
    assertEquals(List.of("even", "odd"), s.labels());
    assertEquals(32, s.train().size());
  }

  @Test
  void theBundledTasksComeFromTheServicesFile() throws Exception {
    Map<String, Task> found = Tasks.discover(Tasks.class.getClassLoader());
    assertEquals(Tasks.names(), List.copyOf(found.keySet()));
    try (var in =
        Tasks.class
            .getClassLoader()
            .getResourceAsStream("META-INF/services/" + TaskProvider.class.getName())) {
      String services = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertEquals(WordNetTasks.class.getName(), services.strip());
    }
    assertSame(Tasks.get(Tasks.POS).getClass(), found.get(Tasks.POS).getClass());
  }

  @Test
  void duplicateNamesAndBrokenProvidersAreClearErrors(@TempDir Path dir) throws Exception {
    try (URLClassLoader clash = withServicesLine(dir.resolve("a"), Clash.class.getName())) {
      IllegalArgumentException dup =
          assertThrows(IllegalArgumentException.class, () -> Tasks.discover(clash));
      assertTrue(dup.getMessage().contains("two tasks are named wordnet-pos"), dup.getMessage());
      assertTrue(dup.getMessage().contains(WordNetTasks.class.getName()), dup.getMessage());
      assertTrue(dup.getMessage().contains(Clash.class.getName()), dup.getMessage());
    }
    try (URLClassLoader broken = withServicesLine(dir.resolve("b"), "org.example.NoSuchTask")) {
      IllegalStateException missing =
          assertThrows(IllegalStateException.class, () -> Tasks.discover(broken));
      assertTrue(missing.getMessage().contains("org.example.NoSuchTask"), missing.getMessage());
    }

    TaskProvider badName = () -> List.of(new WordNetTopicTask("a+b", PartOfSpeech.NOUN));
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> Tasks.collect(List.of(badName)));
    assertTrue(bad.getMessage().contains("\"a+b\""), bad.getMessage());
  }
}
