package org.fedpeft.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpeft info}: the model's shape and an adapter's parameter counts. */
@Command(
    name = "info",
    mixinStandardHelpOptions = true,
    description =
        "Prints the model (layers, hidden size, heads, parameters) and, for an adapter"
            + " configuration, its total and trainable parameters, with the classification head.")
public final class InfoCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Mixin AdapterOptions adapter;

  @Option(
      names = "--labels",
      defaultValue = "25",
      description = "Number of classes of the head to count (default: ${DEFAULT-VALUE}).")
  int labels;

  @Override
  public Integer call() throws Exception {
    if (labels < 2) {
      throw new UserInputException("--labels must be at least 2, got " + labels);
    }
    String method = adapter.methodOrNull();
    PretrainedModel pm = model.load();
    BertConfig c = pm.config();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("model: %s%n", pm.name());
    out.printf(
        "layers: %d, hidden: %d, heads: %d, ffn: %d, vocab: %d, max tokens: %d%n",
        c.numLayers(),
        c.hiddenSize(),
        c.numHeads(),
        c.intermediateSize(),
        c.vocabSize(),
        pm.maxSeqLength());
    long base = c.parameterCount();
    out.printf("parameters (frozen encoder): %,d%n", base);
    long adapterTotal = 0;
    long adapterTrainable = 0;
    if (method != null) {
      try (NDManager root = Engines.pytorch().newBaseManager();
          BertEncoder enc = new BertEncoder(pm.weights(), root);
          Adapter a = AdapterRegistry.get(method).create(adapter.parsedOptions(), enc, 0)) {
        for (AdapterTensor t : a.tensors()) {
          adapterTotal += t.array().size();
          if (t.trainable()) {
            adapterTrainable += t.array().size();
          }
        }
        out.printf(
            "adapter: %s %s, %d tensors%n", method, adapter.parsedOptions(), a.tensors().size());
      }
    } else {
      out.println("adapter: none");
    }
    long head = (long) labels * c.hiddenSize() + labels;
    long trainable = adapterTrainable + head;
    out.printf("adapter parameters: %,d (trainable %,d)%n", adapterTotal, adapterTrainable);
    out.printf("head parameters (%d labels): %,d%n", labels, head);
    out.printf(
        "trainable parameters: %,d of %,d (%.3f%%)%n",
        trainable, base + adapterTotal + head, 100.0 * trainable / (base + adapterTotal + head));
    return 0;
  }
}
