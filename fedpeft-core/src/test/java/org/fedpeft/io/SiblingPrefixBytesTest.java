package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA review, 3 December: {@link AtomicFiles#siblingPrefix} cut a name to 120 characters, but file
 * systems limit a name to 255 bytes: a valid name of 125 two-byte characters (250 bytes) gave
 * hidden siblings of over 255 bytes, so neither a file nor a folder of that name could be written
 * ("File name too long"). It now cuts to 120 bytes of UTF-8, at a whole character; and since such a
 * cut may stop up to three bytes short, a name whose leftovers another name shares is told by that.
 */
class SiblingPrefixBytesTest {

  @TempDir Path tmp;

  @Test
  void aFileAndAFolderOfAValidNameOfTwoByteCharactersAreWritten() throws IOException {
    String name = "é".repeat(125);
    assertEquals(250, name.getBytes(StandardCharsets.UTF_8).length, "a valid name");
    Path file = tmp.resolve(name);
    AtomicFiles.write(file, "x".getBytes(StandardCharsets.UTF_8));
    assertEquals("x", Files.readString(file));
    Path folder = Files.createDirectory(tmp.resolve("folders")).resolve(name);
    AtomicFiles.writeFolder(folder, d -> Files.writeString(d.resolve("a.txt"), "y"));
    AtomicFiles.writeFolder(folder, d -> Files.writeString(d.resolve("a.txt"), "z"));
    assertEquals("z", Files.readString(folder.resolve("a.txt")));
    assertEquals(Set.of(name), DeadWriter.names(folder.getParent()));
  }

  @Test
  void aPrefixIsCutAtAWholeCharacterWithin120Bytes() {
    String prefix = AtomicFiles.siblingPrefix(Path.of("é".repeat(125)));
    assertEquals("." + "é".repeat(60) + ".", prefix);
    String ascii = AtomicFiles.siblingPrefix(Path.of("a".repeat(119) + "é"));
    assertEquals("." + "a".repeat(119) + ".", ascii, "é does not fit whole");
  }

  /**
   * "a" x 117 and "a" x 117 + an emoji (4 bytes, past 120) have the same leftovers: the emoji's
   * name is cut before it. A dead process's set-aside folder of the longer name is not put back
   * under the shorter.
   */
  @Test
  void aNameALongerOneIsCutToKeepsItsLeftoversOldFolder() throws IOException {
    String name = "a".repeat(117);
    Path target = tmp.resolve(name);
    Path longer = tmp.resolve(name + "\uD83D\uDE00");
    assertEquals(DeadWriter.stagingName(target, 0), DeadWriter.stagingName(longer, 0));
    Path aside =
        DeadWriter.plantSetAside(longer, "head.safetensors", "the longer name's old folder");
    List<String> notices = new ArrayList<>();
    StagingFolder.create(target, notices::add).close();
    assertFalse(Files.exists(target), "another folder was put back under " + target);
    assertEquals(1, notices.size(), notices.toString());
    assertTrue(notices.get(0).startsWith("kept " + aside), notices.toString());
  }
}
