package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.json keeps only the adapter options that were set (a resume reads it back unchanged);
 * summary.json's adapter_options_resolved records every option as the run's adapter read it, the
 * method's defaults made explicit, and report.html shows them.
 */
class AdapterOptionsResolvedCliTest {

  @TempDir Path tmp;

  /** FFA-LoRA freezes A whatever the config says of train_a: the record says what ran. */
  @Test
  void ffaLoraRecordsTheFrozenA() throws Exception {
    Path out = tmp.resolve("ffa");
    CliRun.Result r =
        CliRun.run(
            "simulate",
            ReportRuns.config().toString(),
            "--set",
            "server.strategy=ffa-lora",
            "--set",
            "rounds=1",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(
        "false", summary.getAsJsonObject("adapter_options_resolved").get("train_a").getAsString());
    JsonObject config =
        JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
    assertFalse(config.has("adapter.train_a"), "config.json as the config gave it");
  }

  @Test
  void summaryRecordsEveryAdapterOptionAndConfigJsonOnlyThoseSet() throws Exception {
    Path run = ReportRuns.run(); // LoRA with adapter.rank = 4 and adapter.targets set
    JsonObject config =
        JsonParser.parseString(Files.readString(run.resolve("config.json"))).getAsJsonObject();
    assertEquals("4", config.get("adapter.rank").getAsString());
    assertFalse(config.has("adapter.alpha"), "config.json keeps the options set only");
    JsonObject summary =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    JsonObject expected =
        JsonParser.parseString(
                "{\"alpha\": \"16.0\", \"dropout\": \"0.05\", \"rank\": \"4\","
                    + " \"targets\": \"query+value\", \"train_a\": \"true\"}")
            .getAsJsonObject();
    assertEquals(expected, summary.getAsJsonObject("adapter_options_resolved"));
    String html = Files.readString(run.resolve("report.html"));
    assertTrue(
        html.contains(
            "<tr><th>adapter_options_resolved</th><td>alpha = 16.0, dropout = 0.05, rank = 4,"
                + " targets = query+value, train_a = true</td></tr>"),
        html);
  }
}
