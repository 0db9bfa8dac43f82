package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 5 December: {@link HuggingFaceFolder#save} wrote the folder's files one at a time into it, so
 * a save that failed part-way (a full disk, here a model without its tokenizer) left the new
 * model's config.json and weights beside the old model's tokenizer.json. The folder is now replaced
 * whole, as an adapter folder is.
 */
class HuggingFaceFolderSaveTest {

  @TempDir Path tmp;

  @Test
  void aSaveFailingPartWayLeavesTheFolderAsItWas() throws Exception {
    Path dir = tmp.resolve("model");
    PretrainedModel four = TinyModels.tiny(4);
    HuggingFaceFolder.save(four, dir);
    List<String> names = List.of("config.json", "model.safetensors", "tokenizer.json");
    byte[][] before = new byte[names.size()][];
    for (int i = 0; i < names.size(); i++) {
      before[i] = Files.readAllBytes(dir.resolve(names.get(i)));
    }

    PretrainedModel five = TinyModels.tiny(5);
    PretrainedModel noTokenizer =
        new PretrainedModel(five.name(), five.weights(), null, five.maxSeqLength());
    assertThrows(RuntimeException.class, () -> HuggingFaceFolder.save(noTokenizer, dir));
    for (int i = 0; i < names.size(); i++) {
      assertArrayEquals(before[i], Files.readAllBytes(dir.resolve(names.get(i))), names.get(i));
    }
    assertEquals(four.sha256(), HuggingFaceFolder.load(dir).sha256());
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of("model"), s.map(p -> p.getFileName().toString()).toList());
    }

    HuggingFaceFolder.save(five, dir); // a save that completes replaces it
    assertEquals(five.sha256(), HuggingFaceFolder.load(dir).sha256());
  }
}
