package org.fedpeft.data;

import java.util.List;

/**
 * The provider of the tasks built from the bundled WordNet 3.1 dictionary, registered in {@code
 * META-INF/services/org.fedpeft.data.TaskProvider}: {@value Tasks#NOUN_TOPIC}, {@value
 * Tasks#VERB_TOPIC}, {@value Tasks#POS}, {@value Tasks#SENSE_RETRIEVAL}, {@value
 * Tasks#ADJECTIVE_TYPE}, {@value Tasks#DOMAIN_TOPIC} and {@value Tasks#VERB_FRAME}.
 */
public final class WordNetTasks implements TaskProvider {
  /** For {@link java.util.ServiceLoader}. */
  public WordNetTasks() {}

  @Override
  public List<Task> tasks() {
    return List.of(
        new WordNetTopicTask(Tasks.NOUN_TOPIC, PartOfSpeech.NOUN),
        new WordNetTopicTask(Tasks.VERB_TOPIC, PartOfSpeech.VERB),
        new WordNetPosTask(),
        new SenseRetrievalTask(),
        new AdjectiveTypeTask(),
        new DomainTopicTask(),
        new VerbFrameTask());
  }
}
