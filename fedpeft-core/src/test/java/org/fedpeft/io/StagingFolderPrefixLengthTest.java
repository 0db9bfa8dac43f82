package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA review, 3 December: a name of exactly 120 characters is not cut by {@link
 * AtomicFiles#siblingPrefix}, but every longer name with the same first 120 characters is cut to
 * it, so their leftovers have the same names. A staging for the 120-character name took a dead
 * process's set-aside folder of such a longer name for its own and renamed it to the 120-character
 * name: another folder's content under this name. It is now kept, as for a cut name.
 */
class StagingFolderPrefixLengthTest {

  @TempDir Path tmp;

  @Test
  void aLongerNamesSetAsideFolderIsNotPutBackUnderA120CharacterName() throws IOException {
    String name = "a".repeat(120);
    Path longer = tmp.resolve(name + "b");
    Path target = tmp.resolve(name);
    String left = DeadWriter.stagingName(longer, 0);
    assertEquals(DeadWriter.stagingName(target, 0), left, "both names have the same leftovers");
    Path aside =
        DeadWriter.plantSetAside(longer, "head.safetensors", "the longer name's old folder");
    List<String> notices = new ArrayList<>();
    StagingFolder.create(target, notices::add).close();
    assertFalse(Files.exists(target), "another folder was put back under " + target);
    assertEquals(
        List.of(
            "kept "
                + aside
                + ", a folder set aside by process "
                + DeadWriter.PID
                + ", which did not finish replacing it: its name may be a longer name's, cut, so"
                + " which folder it was is not known"),
        notices);
    assertEquals(Set.of(left, left + ".lock", left + ".old"), DeadWriter.names(tmp));
    assertEquals(
        List.of("the longer name's old folder"),
        Files.readAllLines(aside.resolve("head.safetensors")));
  }
}
