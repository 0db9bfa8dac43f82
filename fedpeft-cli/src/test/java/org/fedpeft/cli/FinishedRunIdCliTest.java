package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.JsonOut;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run named by the listening line of a finished server run's resume: the run_id of its
 * manifest.json, twice in a row; for a run whose manifest has none (started before runs recorded
 * one), words saying so, never {@code run null}.
 */
@Timeout(300)
class FinishedRunIdCliTest {

  @TempDir Path tmp;

  @Test
  void aFinishedRunsResumeNamesItsRunIdAndNeverNull() throws Exception {
    TwoClientDeployment d = TwoClientDeployment.create(tmp, 1, 1);
    Path out = tmp.resolve("run");
    TwoClientDeployment.InProcessRun ran = d.runInProcess(out, tmp.resolve("states"));
    assertEquals(0, ran.server().code(), ran.server().err());
    JsonObject manifest = JsonFiles.readObject(out.resolve("manifest.json"));
    String runId = manifest.get("run_id").getAsString();
    // Guard: each resume of the finished run names the manifest's run_id.
    for (int i = 0; i < 2; i++) {
      CliRun.Result r = CliRun.run(d.resumeOnAnyPort(out, "--wait-seconds", "0"));
      assertEquals(0, r.code(), r.err());
      assertTrue(
          r.err().contains("(mutual TLS), run " + runId + "; the run is finished: telling "),
          r.err());
    }
    // Fails on the old code: a manifest without a run_id gave "run null".
    manifest.remove("run_id");
    Files.writeString(out.resolve("manifest.json"), JsonOut.line(manifest) + "\n");
    CliRun.Result r = CliRun.run(d.resumeOnAnyPort(out, "--wait-seconds", "0"));
    assertEquals(0, r.code(), r.err());
    assertFalse(r.err().contains("null"), r.err());
    assertTrue(
        r.err()
            .contains(
                "(mutual TLS), a run without a run_id (started by an earlier version); the run is"
                    + " finished: telling "),
        r.err());
  }
}
