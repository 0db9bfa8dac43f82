package org.fedpeft.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.retrieval.ClassifierRetrieval;
import org.fedpeft.retrieval.Corpus;
import org.fedpeft.retrieval.MipsIndex;
import org.fedpeft.retrieval.RetrievalMetrics;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.FrozenBase;

/**
 * Retrieval metrics on the test split of a retrieval task (issue 13, item 6), one line per row:
 * MIPS with the frozen encoder, and for each saved adapter folder given, CaR (its head over the
 * document ids) and MIPS with its adapter (the head unused); an adapter trained with the
 * contrastive objective has no trained head, so it gets the MIPS row only.
 *
 * <p>Usage: {@code RetrievalBench TASK SEED MAX_EVAL [NAME=ADAPTER_DIR ...]}; the task spec, seed
 * and test cap must be those of the training runs (the test subset is drawn with them).
 */
public final class RetrievalBench {

  private RetrievalBench() {}

  public static void main(String[] args) throws Exception {
    String task = args[0];
    long seed = Long.parseLong(args[1]);
    int maxEval = Integer.parseInt(args[2]);
    TaskSplits splits =
        Tasks.load(
            task, seed, TaskOptions.defaults().withMaxValidation(maxEval).withMaxTest(maxEval));
    Corpus corpus = Corpus.of(splits.retrievalCorpus().orElseThrow());
    Dataset test = splits.test();
    List<String> queries = new ArrayList<>();
    test.examples().forEach(e -> queries.add(e.text()));
    int[] relevant = new int[test.size()];
    for (int i = 0; i < relevant.length; i++) {
      relevant[i] = corpus.indexOf(test.example(i).label());
    }
    System.out.printf(
        Locale.ROOT,
        "task %s, seed %d: %d documents, %d test queries%n",
        task,
        seed,
        corpus.size(),
        test.size());
    System.out.println("row\ttop1\trecall@5\trecall@10\tmrr");
    try (FrozenBase base = new FrozenBase(PretrainedModel.bundledMiniLm())) {
      print(
          "MIPS, frozen encoder",
          MipsIndex.build(
                  new SentenceEmbedder(base.encoder(), base.tokenizer(), EncoderHooks.NONE),
                  corpus.texts(),
                  64)
              .evaluate(queries, relevant));
      for (int i = 3; i < args.length; i++) {
        String[] nameDir = args[i].split("=", 2);
        Path dir = Path.of(nameDir[1]);
        AdapterFiles.Saved saved = AdapterFiles.read(dir);
        Dataset ds = test.withLabels(saved.labels());
        try (Adapter a = AdapterFiles.instantiate(dir, saved, base.encoder());
            ClassificationHead head =
                new ClassificationHead(
                    base.root(), base.encoder().config().hiddenSize(), ds.numLabels(), 0)) {
          head.loadState(saved.headTensors());
          ClassifierModel m = new ClassifierModel(base.encoder(), a, head);
          boolean contrastive =
              saved.extra() != null
                  && saved.extra().has("objective")
                  && "contrastive".equals(saved.extra().get("objective").getAsString());
          if (!contrastive) {
            print("CaR, " + nameDir[0], ClassifierRetrieval.evaluate(m, base.encode(ds), 64));
          }
          if (a != null) {
            print(
                "MIPS, "
                    + nameDir[0]
                    + (contrastive ? " adapter (contrastive)" : " adapter (head unused)"),
                MipsIndex.build(
                        new SentenceEmbedder(base.encoder(), base.tokenizer(), a),
                        corpus.texts(),
                        64)
                    .evaluate(queries, relevant));
          }
        }
      }
    }
  }

  private static void print(String row, RetrievalMetrics m) {
    System.out.printf(
        Locale.ROOT,
        "%s\t%.4f\t%.4f\t%.4f\t%.4f%n",
        row,
        m.top1(),
        m.recallAt5(),
        m.recallAt10(),
        m.mrr());
  }
}
