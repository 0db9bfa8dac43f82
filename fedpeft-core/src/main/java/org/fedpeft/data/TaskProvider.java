package org.fedpeft.data;

import java.util.List;

/**
 * A source of {@link Task}s, found by {@link java.util.ServiceLoader}: the way to add a task.
 *
 * <p>To add a task, write one public class that implements this interface (it needs a public
 * no-argument constructor; it may implement {@link Task} too and return itself) and name it on one
 * line of {@code META-INF/services/org.fedpeft.data.TaskProvider} in its jar or resources folder.
 * {@link Tasks} then finds it on the class path; nothing else is edited. The bundled WordNet tasks
 * come in through {@link WordNetTasks} the same way.
 */
public interface TaskProvider {
  /** The tasks this provider offers; their names must be unique across all providers. */
  List<Task> tasks();
}
