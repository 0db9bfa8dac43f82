package org.fedpeft.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.fedpeft.engine.Engines;
import org.fedpeft.engine.MklDispatch;
import org.fedpeft.federation.FlexLora;
import org.fedpeft.federation.HetLora;
import org.fedpeft.federation.HeterogeneousLora;
import org.fedpeft.federation.StrategyRegistry;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterMethod;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.InertOption;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.peft.expansion.ExpansionAdapter;
import org.fedpeft.peft.expansion.ExpansionMethod;
import org.fedpeft.peft.expansion.FedBeStrategy;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.peft.ravan.RavanAdapter;
import org.fedpeft.peft.ravan.RavanConfig;
import org.fedpeft.tensor.HostTensor;
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
            + " configuration, its total and trainable parameters, with the classification head,"
            + " and the parameters a client uploads per round.")
public final class InfoCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin PlainModelOption model;

  @Mixin AdapterOptions adapter;

  @Option(
      names = "--labels",
      paramLabel = "N",
      defaultValue = "25",
      description = "Number of classes of the head to count (default: ${DEFAULT-VALUE}).")
  int labels;

  @Option(
      names = "--budget",
      paramLabel = "B",
      defaultValue = "1",
      description =
          "The client's compute budget in (0, 1] for the upload count (Ravan trains"
              + " round(budget * heads) heads; with --strategy hetlora or flexlora, LoRA rank"
              + " round(budget * r); with --strategy fedbe, ceil(budget * m) of FedBE's m blocks);"
              + " refused with an adapter and strategy that upload the same at every budget"
              + " (default: ${DEFAULT-VALUE}).")
  double budget;

  @Option(
      names = "--strategy",
      paramLabel = "NAME",
      description =
          "With hetlora or flexlora (and adapter lora of rank r): count the upload of a client"
              + " of --budget at its rank max(1, round(budget * r)), as those strategies assign it."
              + " With fedbe (and adapter fedbe of m blocks): count it at the ceil(budget * m)"
              + " blocks (at least 1) the strategy allocates to it; which blocks depends on the"
              + " run, how many does not, and every block has as many parameters. Without it, counts"
              + " a client of a strategy that trains every client alike (fedavg); FedBE's"
              + " allocation options are then refused, as simulate refuses them.")
  String strategy;

  @Option(
      names = "--match-lora-rank",
      paramLabel = "R",
      description =
          "For ravan or fed-sb: print the rank r whose heads upload as much per round as LoRA of"
              + " rank R on the same targets, h r^2 = R (d_in + d_out), rounded down.")
  Integer matchLoraRank;

  @Override
  public Integer call() throws Exception {
    if (labels < 2) {
      throw new UserInputException("--labels must be at least 2, got " + labels);
    }
    if (!(budget > 0 && budget <= 1)) {
      throw new UserInputException("--budget must be in (0, 1], got " + budget);
    }
    adapter.refuseOptionsWithoutAdapter();
    String method = adapter.methodOrNull();
    if (matchLoraRank != null && matchLoraRank < 1) {
      throw new UserInputException("--match-lora-rank must be at least 1, got " + matchLoraRank);
    }
    if (matchLoraRank != null && method == null) {
      throw new UserInputException(
          "--match-lora-rank needs --adapter ravan or fed-sb (the heads whose rank it matches)");
    }
    // Every check of the options before anything is printed: a refusal leaves stdout empty.
    if (matchLoraRank != null && !method.equals("ravan") && !method.equals("fed-sb")) {
      throw new UserInputException("--match-lora-rank applies to ravan and fed-sb, not " + method);
    }
    if (strategy != null) {
      if (!strategy.equals(HetLora.NAME)
          && !strategy.equals(FlexLora.NAME)
          && !strategy.equals(FedBeStrategy.NAME)) {
        throw new UserInputException(
            "--strategy counts the strategies that allocate by budget: hetlora and flexlora"
                + " (LoRA ranks) and fedbe (blocks), not "
                + strategy);
      }
      String needs = strategy.equals(FedBeStrategy.NAME) ? ExpansionMethod.NAME : "lora";
      if (!needs.equals(method)) {
        throw new UserInputException("--strategy " + strategy + " needs --adapter " + needs);
      }
    }
    refuseUnreadBudget(method);
    refuseInertInFederation(method);
    PretrainedModel pm = model.load();
    BertConfig c = pm.config();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("model: %s%n", pm.name());
    out.printf("precision: %s%n", pm.precision().describe());
    Engines.pytorch();
    out.printf("fp32 kernels: %s%n", MklDispatch.status());
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
    long upload = 0;
    if (method != null) {
      try (NDManager root = Engines.pytorch().newBaseManager();
          BertEncoder enc = new BertEncoder(pm.weights(), root, pm.precision().precision());
          Adapter a = adapter.create(enc, 0)) {
        for (AdapterTensor t : a.tensors()) {
          adapterTotal += t.array().size();
          if (t.trainable()) {
            adapterTrainable += t.array().size();
          }
        }
        Map<String, String> options = adapter.parsedOptions();
        out.printf(
            "adapter: %s%s, %d %s%n",
            method,
            options.isEmpty() ? " (default options)" : " " + options,
            a.tensors().size(),
            Main.plural(a.tensors().size(), "tensor"));
        upload = uploadParameters(a);
        if (matchLoraRank != null) {
          printMatchingRanks(out, (RavanAdapter) a, enc); // ravan or fed-sb, checked above
        }
      }
    } else {
      out.println("adapter: none");
    }
    long head = (long) labels * c.hiddenSize() + labels;
    long trainable = adapterTrainable + head;
    out.printf("adapter parameters: %,d (trainable %,d)%n", adapterTotal, adapterTrainable);
    out.printf("head parameters (%d labels): %,d%n", labels, head);
    out.printf(
        "upload per round (budget %s): adapter %,d + head %,d = %,d parameters%n",
        budget, upload, head, upload + head);
    out.printf(
        "trainable parameters: %,d of %,d (%.3f%%)%n",
        trainable, base + adapterTotal + head, 100.0 * trainable / (base + adapterTotal + head));
    return 0;
  }

  /**
   * Refuses a --budget that neither the method (with its options) nor --strategy reads, as simulate
   * refuses client.budgets then: the upload printed would be the full one at any budget (it was,
   * silently). Names the method and strategy, the options that stop one that reads budgets, and
   * what does read them.
   */
  private void refuseUnreadBudget(String method) {
    if (!spec.commandLine().getParseResult().hasMatchedOption("--budget")) {
      return;
    }
    Map<String, String> options = method == null ? Map.of() : adapter.parsedOptions();
    AdapterMethod m = method == null ? null : AdapterRegistry.get(method);
    if ((m != null && m.usesBudgets(options))
        || (strategy != null && StrategyRegistry.get(strategy).usesBudgets(method, options))) {
      return;
    }
    if (ExpansionMethod.NAME.equals(method) && strategy == null) {
      throw new UserInputException(
          "--budget "
              + budget
              + " does nothing with --adapter fedbe without --strategy fedbe: a FedBE client's"
              + " blocks (ceil(m budget) of the m) are allocated by server.strategy = fedbe, and"
              + " under any other strategy every client trains every block; give --strategy"
              + " fedbe, or leave out --budget");
    }
    String why;
    if (m != null && m.usesBudgets(Map.of())) {
      why = "with --adapter-options " + adapter.options + " a client of " + method;
    } else if (strategy != null) {
      why = "with --adapter-options " + adapter.options + " a client of --strategy " + strategy;
    } else {
      why = "a client of --adapter " + (method == null ? "none" : method);
    }
    throw new UserInputException(
        "--budget "
            + budget
            + " does nothing here: "
            + why
            + (strategy == null ? " without --strategy" : "")
            + " uploads the same at every budget. Budgets are read by --adapter ravan (with more"
            + " than one head), by --strategy hetlora or flexlora (with --adapter lora of rank"
            + " above 1) and by --strategy fedbe (with --adapter fedbe of more than one block);"
            + " use one of them, or leave out --budget");
  }

  /**
   * Refuses adapter options that the federation info counts for makes inert, as simulate refuses
   * them ({@link AdapterMethod#inertOptions(Map, AdapterMethod.Federation)} with {@code
   * --strategy}, else fedavg, for {@code server.strategy}, and {@code --budget} given for {@code
   * client.budgets}): FedBE's allocation options without {@code --strategy fedbe}, Ravan's {@code
   * head_selection} without {@code --budget}. Those inert whatever the federation were refused by
   * {@link AdapterOptions#refuseOptionsWithoutAdapter}; this names the flag instead of the key.
   */
  private void refuseInertInFederation(String method) {
    if (method == null) {
      return;
    }
    Map<String, String> options = adapter.parsedOptions();
    boolean budgets = spec.commandLine().getParseResult().hasMatchedOption("--budget");
    AdapterMethod m = AdapterRegistry.get(method);
    for (InertOption inert :
        m.inertOptions(
            options,
            new AdapterMethod.Federation(strategy == null ? "fedavg" : strategy, budgets))) {
      boolean byStrategy = inert.cause().equals("server.strategy");
      if (!byStrategy && !inert.cause().equals("client.budgets")) {
        continue; // inert whatever the federation: refused before
      }
      String flag =
          byStrategy ? "--strategy " + String.join(" or --strategy ", inert.reading()) : "--budget";
      throw new UserInputException(
          "--adapter-options "
              + inert.option()
              + "="
              + options.get(inert.option())
              + " does nothing with --adapter "
              + method
              + " without "
              + flag
              + ": "
              + inert.reason()
              + "; give "
              + (byStrategy ? flag : "--budget (a client's budget below 1)")
              + ", or leave out "
              + inert.option());
    }
  }

  /**
   * What the adapter's client sends after a round at {@link #budget}: the adapter's own round
   * lifecycle (selection, then uplink) on the initial tensors, with the config the --strategy would
   * send (hetlora, flexlora: the budget's LoRA rank; fedbe: the first of its blocks, as many as
   * {@link FedBeStrategy#blocksForBudget} allocates, which upload as much as any others). A method
   * that selects by gradient gets equal gradient norms here, which changes which parts it picks but
   * not how many.
   */
  private long uploadParameters(Adapter a) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("budget", Double.toString(budget));
    if (a instanceof ExpansionAdapter fedbe && strategy != null) {
      // fedbe with adapter fedbe, checked before anything was printed
      int n = FedBeStrategy.blocksForBudget(fedbe.config().blocks(), budget);
      Set<Integer> first = new TreeSet<>();
      for (int j = 0; j < n; j++) {
        first.add(j);
      }
      config.put(ExpansionAdapter.BLOCKS_KEY, ExpansionAdapter.formatBlocks(first));
    } else if (strategy != null) {
      // hetlora or flexlora with adapter lora, checked before anything was printed
      int r = HeterogeneousLora.rankForBudget(budget, ((LoraAdapter) a).config().rank());
      config.put(LoraAdapter.RANK_KEY, Integer.toString(r));
    }
    RoundSpec round = new RoundSpec(1, 0, config);
    a.beginRound(round);
    Set<String> trainable =
        a.trainableThisRound(
            round,
            names -> {
              Map<String, Double> equal = new LinkedHashMap<>();
              names.forEach(n -> equal.put(n, 1.0));
              return equal;
            });
    long n = 0;
    for (HostTensor t : a.uplink(trainable).values()) {
      n += t.size();
    }
    return n;
  }

  /** Per distinct target shape, the Ravan rank matching LoRA rank {@link #matchLoraRank}. */
  private void printMatchingRanks(PrintWriter out, RavanAdapter ravan, BertEncoder enc) {
    RavanConfig c = ravan.config();
    Map<String, String> seen = new LinkedHashMap<>();
    for (String module : ravan.modules()) {
      String[] bits = module.split("\\.", 4);
      var shape =
          enc.linearShape(
              Integer.parseInt(bits[2]),
              org.fedpeft.model.BertWeights.LINEAR_MODULES.indexOf(bits[3]));
      long dOut = shape.get(0);
      long dIn = shape.get(1);
      String key = dOut + " x " + dIn;
      if (!seen.containsKey(key)) {
        int r = RavanConfig.matchingRank(c.heads(), matchLoraRank, dIn, dOut);
        seen.put(key, module);
        out.printf(
            "budget matching: LoRA rank %d on %s (%s) uploads %,d; %d head(s) of rank %d upload"
                + " %,d (h r^2 <= r_L (d_in + d_out))%n",
            matchLoraRank,
            bits[3],
            key,
            (long) matchLoraRank * (dIn + dOut),
            c.heads(),
            r,
            (long) c.heads() * r * r);
      }
    }
  }
}
