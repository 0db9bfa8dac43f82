package org.fedpeft.data;

import java.util.ArrayList;
import java.util.List;
import org.fedpeft.io.Words;
import org.fedpeft.random.SeededRandom;

/**
 * Whole labels per client: every example of a label goes to one client. The labels that occur in
 * the data are put in a random order from the seed and dealt out round-robin, so the clients hold
 * equally many labels (give or take one). On a retrieval task, where a label is a document, this is
 * a partition over documents: each client holds every query of its own documents and none of any
 * other's. Spec: {@code labels}.
 */
public record LabelPartitioner() implements Partitioner {

  @Override
  public List<int[]> partition(Dataset data, int numClients, long seed) {
    if (numClients < 1) {
      throw new IllegalArgumentException(spec() + ": numClients must be >= 1, got " + numClients);
    }
    int[] count = new int[data.numLabels()];
    for (int i = 0; i < data.size(); i++) {
      count[data.labelIndex(i)]++;
    }
    List<Integer> present = new ArrayList<>();
    for (int c = 0; c < count.length; c++) {
      if (count[c] > 0) {
        present.add(c);
      }
    }
    if (present.size() < numClients) {
      throw new IllegalArgumentException(
          spec()
              + ": "
              + present.size()
              + " "
              + Words.plural(present.size(), "label")
              + (present.size() == 1 ? " occurs" : " occur")
              + " in the data, too few to give each of "
              + numClients
              + " clients a label of its own");
    }
    int[] order = SeededRandom.derive(seed, "partition/labels").permutation(present.size());
    int[] clientOf = new int[count.length];
    int[] size = new int[numClients];
    for (int k = 0; k < order.length; k++) {
      int label = present.get(order[k]);
      clientOf[label] = k % numClients;
      size[k % numClients] += count[label];
    }
    List<int[]> parts = new ArrayList<>(numClients);
    for (int j = 0; j < numClients; j++) {
      parts.add(new int[size[j]]);
    }
    int[] fill = new int[numClients];
    for (int i = 0; i < data.size(); i++) {
      int j = clientOf[data.labelIndex(i)];
      parts.get(j)[fill[j]++] = i;
    }
    return parts;
  }

  @Override
  public String spec() {
    return "labels";
  }
}
