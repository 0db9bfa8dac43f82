package org.fedpeft.run;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.fedpeft.io.Sha256;

/**
 * How far metrics.jsonl goes for a checkpoint ({@link RunCheckpoint}): the checkpoint's metrics
 * lines are the file's first {@code lines} lines, {@code bytes} bytes of UTF-8 with a newline after
 * each line, whose SHA-256 is {@code sha256}. The checkpoint holds these three numbers instead of
 * the lines, and a resume takes the lines from the file, after checking them against the numbers.
 *
 * @param lines the number of lines
 * @param bytes their length in the file, newlines included
 * @param sha256 the SHA-256 of those bytes, in lowercase hex
 */
record MetricsPrefix(int lines, long bytes, String sha256) {

  /** The file's name in the run folder. */
  static final String FILE = "metrics.jsonl";

  /**
   * Makes the prefixes of a growing list of lines, as {@link RunRecorder} writes them (a run's,
   * which it only appends to), hashing each line once: a run's checkpoints cost the lines of their
   * round, not every line of the run.
   */
  static final class Counter {
    private final MessageDigest digest = Sha256.newDigest();
    private int lines;
    private long bytes;

    /**
     * The prefix that {@code all} make; {@code all} begins with the lines of the last call.
     *
     * @throws IllegalStateException if {@code all} has fewer lines than the last call's
     */
    MetricsPrefix of(List<String> all) {
      if (all.size() < lines) {
        throw new IllegalStateException(
            "metrics lines only grow: " + all.size() + " after " + lines);
      }
      for (String line : all.subList(lines, all.size())) {
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        digest.update(b);
        bytes += b.length;
      }
      lines = all.size();
      try {
        MessageDigest done = (MessageDigest) digest.clone();
        return new MetricsPrefix(lines, bytes, HexFormat.of().formatHex(done.digest()));
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("SHA-256 cannot be cloned on this JVM", e);
      }
    }
  }

  /** The JSON form: {@code {"lines": .., "bytes": .., "sha256": ..}}. */
  String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("lines", lines);
    o.addProperty("bytes", bytes);
    o.addProperty("sha256", sha256);
    return o.toString();
  }

  /**
   * Reads {@link #toJson}'s form.
   *
   * @param source names the checkpoint in error messages
   */
  static MetricsPrefix fromJson(String json, String source) {
    return CheckpointJson.read(
        json,
        source + ": the extent of " + FILE + " it counts",
        o ->
            new MetricsPrefix(
                o.get("lines").getAsInt(),
                o.get("bytes").getAsLong(),
                o.get("sha256").getAsString()));
  }

  /**
   * The lines of the run folder's metrics.jsonl that this prefix counts, once their bytes are found
   * to be the ones counted. Reads the file, changes nothing.
   *
   * @param checkpoint names the checkpoint in the refusal
   * @throws IllegalArgumentException naming the file if it is missing or does not begin with the
   *     counted bytes (it was edited, cut or replaced since the checkpoint): the run cannot be
   *     resumed from it
   */
  List<String> read(Path runFolder, Path checkpoint) throws IOException {
    if (lines == 0) {
      return List.of();
    }
    Path file = runFolder.resolve(FILE);
    byte[] all = Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
    if (all == null || all.length < bytes) {
      throw refusal(
          runFolder,
          checkpoint,
          all == null ? "is missing" : "is shorter than its checkpointed lines");
    }
    byte[] head = Arrays.copyOf(all, (int) bytes);
    String text = new String(head, StandardCharsets.UTF_8);
    if (!HexFormat.of().formatHex(Sha256.newDigest().digest(head)).equals(sha256)
        || !text.endsWith("\n")) {
      throw refusal(runFolder, checkpoint, "does not begin with its checkpointed lines");
    }
    List<String> out = List.of(text.substring(0, text.length() - 1).split("\n", -1));
    if (out.size() != lines) {
      throw refusal(runFolder, checkpoint, "does not begin with its checkpointed lines");
    }
    return out;
  }

  /**
   * The refusal of a resume: metrics.jsonl {@code what} ("is missing", ...), what the checkpoint
   * counts, and the two ways out.
   */
  private IllegalArgumentException refusal(Path runFolder, Path checkpoint, String what) {
    return new IllegalArgumentException(
        runFolder.resolve(FILE)
            + " "
            + what
            + ": the run's checkpoint "
            + checkpoint
            + " counts its first "
            + lines
            + (lines == 1 ? " line" : " lines")
            + " ("
            + bytes
            + " bytes, SHA-256 "
            + sha256
            + ") and keeps no copy of them, so the run cannot be resumed; put the file back as the"
            + " run wrote it, or start the run again with --out "
            + runFolder
            + " --force");
  }
}
