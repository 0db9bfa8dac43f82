package org.fedpeft.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.io.AtomicFiles;

/**
 * Renders a run folder's metrics into {@code report.html}: one self-contained page (inline SVG, no
 * scripts, no network) with accuracy and loss per round, per-client accuracy, bytes per round and
 * the label distribution of each client's partition.
 */
public final class ReportWriter {

  private static final String[] PALETTE = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac"
  };

  private ReportWriter() {}

  /** Writes {@code dir/report.html} from the files of a simulation run; returns its path. */
  public static Path write(Path dir) throws IOException {
    List<JsonObject> rounds = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
      if (!line.isBlank()) {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        if ("round".equals(o.get("event").getAsString())) {
          rounds.add(o);
        }
      }
    }
    JsonObject summary = readJson(dir.resolve("summary.json"));
    JsonObject partition = readJson(dir.resolve("partition.json"));
    JsonObject config = readJson(dir.resolve("config.json"));
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>fedpeft run report</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}")
        .append("h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}")
        .append("table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;")
        .append("padding:3px 8px;text-align:left}svg{background:#fafafa;border:1px solid #ddd}")
        .append(".legend span{display:inline-block;margin-right:1em}</style></head><body>");
    h.append("<h1>fedpeft simulation: ")
        .append(esc(str(summary, "strategy")))
        .append(" on ")
        .append(esc(str(summary, "task")))
        .append("</h1>");
    h.append("<table>");
    for (String k :
        List.of(
            "final_accuracy",
            "final_loss",
            "rounds",
            "clients",
            "clients_per_round",
            "partition",
            "adapter",
            "model",
            "bytes_up_total",
            "bytes_down_total",
            "test_examples",
            "client_sampling",
            "rounds_skipped",
            "privacy",
            "epsilon",
            "epsilon_mean",
            "delta",
            "epsilon_sampling",
            "not_covered",
            "private",
            "stopped_early")) {
      if (summary.has(k)) {
        h.append("<tr><th>")
            .append(k)
            .append("</th><td>")
            .append(esc(summary.get(k).getAsString()))
            .append("</td></tr>");
      }
    }
    h.append("</table>");

    List<double[]> acc = new ArrayList<>();
    List<double[]> clientMean = new ArrayList<>();
    List<double[]> trainLoss = new ArrayList<>();
    List<double[]> testLoss = new ArrayList<>();
    List<double[]> up = new ArrayList<>();
    List<double[]> down = new ArrayList<>();
    List<double[]> epsilon = new ArrayList<>();
    List<double[]> epsilonMean = new ArrayList<>();
    JsonObject lastClientAcc = null;
    for (JsonObject r : rounds) {
      double x = r.get("round").getAsDouble();
      if (has(r, "accuracy")) {
        acc.add(new double[] {x, r.get("accuracy").getAsDouble()});
        testLoss.add(new double[] {x, r.get("loss").getAsDouble()});
      }
      if (has(r, "client_accuracy_mean")) {
        clientMean.add(new double[] {x, r.get("client_accuracy_mean").getAsDouble()});
      }
      if (has(r, "client_accuracy")) {
        lastClientAcc = r.getAsJsonObject("client_accuracy");
      }
      if (has(r, "train_loss")) {
        trainLoss.add(new double[] {x, r.get("train_loss").getAsDouble()});
      }
      if (has(r, "epsilon")) {
        epsilon.add(new double[] {x, r.get("epsilon").getAsDouble()});
      }
      if (has(r, "epsilon_mean")) {
        epsilonMean.add(new double[] {x, r.get("epsilon_mean").getAsDouble()});
      }
      up.add(new double[] {x, r.get("bytes_up").getAsDouble()});
      down.add(new double[] {x, r.get("bytes_down").getAsDouble()});
    }
    h.append("<h2>Accuracy per round</h2>")
        .append(
            lineChart(
                List.of(acc, clientMean),
                List.of("global model, test split", "mean over clients' held-out data"),
                "round",
                "accuracy"));
    h.append("<h2>Loss per round</h2>")
        .append(
            lineChart(
                List.of(trainLoss, testLoss),
                List.of("clients' training loss", "global model, test loss"),
                "round",
                "loss"));
    if (lastClientAcc != null) {
      List<String> names = new ArrayList<>();
      List<Double> vals = new ArrayList<>();
      for (Map.Entry<String, JsonElement> e : new TreeMap<>(lastClientAcc.asMap()).entrySet()) {
        if (!e.getValue().isJsonNull()) {
          names.add(e.getKey());
          vals.add(e.getValue().getAsDouble());
        }
      }
      h.append("<h2>Per-client accuracy (last evaluation, global model on each client's held-out")
          .append(" data)</h2>")
          .append(barChart(names, vals));
    }
    h.append("<h2>Communication per round (bytes, as serialised)</h2>")
        .append(
            lineChart(
                List.of(up, down),
                List.of("up (clients to server)", "down (server to clients)"),
                "round",
                "bytes"));
    if (!epsilon.isEmpty() && !epsilonMean.isEmpty()) {
      h.append("<h2>Privacy budget spent (each client's epsilon after each round)</h2>")
          .append(
              lineChart(
                  List.of(epsilon, epsilonMean),
                  List.of("largest over clients, at the run's delta", "mean over all clients"),
                  "round",
                  "epsilon"));
    } else if (!epsilon.isEmpty()) {
      h.append("<h2>Privacy budget spent (epsilon after each round)</h2>")
          .append(
              lineChart(
                  List.of(epsilon), List.of("epsilon at the run's delta"), "round", "epsilon"));
    }
    if (partition != null) {
      h.append("<h2>Label distribution per client (training partition)</h2>")
          .append(stackedBars(partition));
    }
    if (config != null) {
      h.append("<h2>Configuration</h2><table>");
      for (var e : new TreeMap<>(config.asMap()).entrySet()) {
        h.append("<tr><th>")
            .append(esc(e.getKey()))
            .append("</th><td>")
            .append(esc(e.getValue().toString()))
            .append("</td></tr>");
      }
      h.append("</table>");
    }
    h.append("</body></html>\n");
    Path file = dir.resolve("report.html");
    AtomicFiles.writeString(file, h.toString());
    return file;
  }

  private static boolean has(JsonObject o, String k) {
    return o.has(k) && !o.get(k).isJsonNull() && o.get(k).isJsonPrimitive();
  }

  private static JsonObject readJson(Path p) throws IOException {
    return Files.isRegularFile(p)
        ? JsonParser.parseString(Files.readString(p)).getAsJsonObject()
        : null;
  }

  private static String str(JsonObject o, String k) {
    return o != null && o.has(k) ? o.get(k).getAsString() : "?";
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static String fmt(double v) {
    double a = Math.abs(v);
    if (a >= 1e6) {
      return String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }
    if (a >= 1e3) {
      return String.format(Locale.ROOT, "%.1fk", v / 1e3);
    }
    return String.format(Locale.ROOT, a >= 10 ? "%.0f" : "%.3f", v);
  }

  static String lineChart(List<List<double[]>> series, List<String> names, String xl, String yl) {
    int w = 760;
    int hgt = 300;
    int l = 70;
    int b = 40;
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double minY = Double.MAX_VALUE;
    double maxY = -Double.MAX_VALUE;
    for (List<double[]> s : series) {
      for (double[] p : s) {
        if (Double.isFinite(p[1])) {
          minX = Math.min(minX, p[0]);
          maxX = Math.max(maxX, p[0]);
          minY = Math.min(minY, p[1]);
          maxY = Math.max(maxY, p[1]);
        }
      }
    }
    if (minX > maxX) {
      return "<p>(no data)</p>";
    }
    if (maxX == minX) {
      maxX = minX + 1;
    }
    if (maxY == minY) {
      maxY = minY + 1;
    }
    minY = Math.min(minY, 0);
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\">", w, hgt));
    for (int i = 0; i <= 4; i++) {
      double v = minY + (maxY - minY) * i / 4;
      double y = hgt - b - (hgt - b - 10) * i / 4.0;
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>",
              l,
              w - 10,
              y,
              y,
              l - 5,
              y + 4,
              fmt(v)));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s (%s to %s)</text>",
            (w + l) / 2,
            hgt - 8,
            xl,
            fmt(minX),
            fmt(maxX)));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"14\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 14 %d)\""
                + " text-anchor=\"middle\">%s</text>",
            hgt / 2,
            hgt / 2,
            yl));
    for (int k = 0; k < series.size(); k++) {
      StringBuilder pts = new StringBuilder();
      for (double[] p : series.get(k)) {
        if (!Double.isFinite(p[1])) {
          continue;
        }
        double x = l + (w - l - 10) * (p[0] - minX) / (maxX - minX);
        double y = hgt - b - (hgt - b - 10) * (p[1] - minY) / (maxY - minY);
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        s.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s: %s</title></circle>",
                x,
                y,
                PALETTE[k % PALETTE.length],
                fmt(p[0]),
                fmt(p[1])));
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>",
              PALETTE[k % PALETTE.length],
              pts));
    }
    s.append("</svg><div class=\"legend\">");
    for (int k = 0; k < names.size(); k++) {
      s.append("<span style=\"color:")
          .append(PALETTE[k % PALETTE.length])
          .append("\">&#9632; ")
          .append(esc(names.get(k)))
          .append("</span>");
    }
    return s.append("</div>").toString();
  }

  static String barChart(List<String> names, List<Double> values) {
    int n = names.size();
    int w = Math.max(400, Math.min(1060, 20 + n * 14));
    int hgt = 220;
    double bw = (w - 50.0) / Math.max(1, n);
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\">", w, hgt));
    for (int i = 0; i <= 4; i++) {
      double y = hgt - 20 - (hgt - 30) * i / 4.0;
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"40\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"36\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.2f</text>",
              w - 5,
              y,
              y,
              y + 4,
              i / 4.0));
    }
    for (int i = 0; i < n; i++) {
      double v = values.get(i);
      double bh = (hgt - 30) * Math.max(0, Math.min(1, v));
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                  + "<title>%s: %.4f</title></rect>",
              45 + i * bw,
              hgt - 20 - bh,
              Math.max(1, bw - 1),
              bh,
              PALETTE[0],
              esc(names.get(i)),
              v));
    }
    return s.append("</svg>").toString();
  }

  static String stackedBars(JsonObject partition) {
    JsonArray labels = partition.getAsJsonArray("labels");
    JsonObject clients = partition.getAsJsonObject("clients");
    List<String> ids = new ArrayList<>(new TreeMap<>(clients.asMap()).keySet());
    int shown = Math.min(ids.size(), 60);
    int rowH = 12;
    int w = 760;
    int l = 90;
    int hgt = shown * rowH + 10;
    int max = 1;
    for (int i = 0; i < shown; i++) {
      int sum = 0;
      for (JsonElement e : clients.getAsJsonObject(ids.get(i)).getAsJsonArray("label_histogram")) {
        sum += e.getAsInt();
      }
      max = Math.max(max, sum);
    }
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\">", w, hgt));
    for (int i = 0; i < shown; i++) {
      JsonArray hist = clients.getAsJsonObject(ids.get(i)).getAsJsonArray("label_histogram");
      double x = l;
      double y = 5 + i * rowH;
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>",
              l - 4,
              y + 9,
              esc(ids.get(i))));
      for (int k = 0; k < hist.size(); k++) {
        int c = hist.get(k).getAsInt();
        if (c == 0) {
          continue;
        }
        double bw = (w - l - 10.0) * c / max;
        s.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                    + "<title>%s %s: %d</title></rect>",
                x,
                y,
                bw,
                rowH - 2,
                PALETTE[k % PALETTE.length],
                esc(ids.get(i)),
                esc(labels.get(k).getAsString()),
                c));
        x += bw;
      }
    }
    s.append("</svg>");
    if (shown < ids.size()) {
      s.append("<p>(first ")
          .append(shown)
          .append(" of ")
          .append(ids.size())
          .append(" clients shown)</p>");
    }
    s.append("<p class=\"legend\">");
    for (int k = 0; k < labels.size(); k++) {
      s.append("<span style=\"color:")
          .append(PALETTE[k % PALETTE.length])
          .append("\">&#9632; ")
          .append(esc(labels.get(k).getAsString()))
          .append("</span>");
    }
    return s.append("</p>").toString();
  }
}
