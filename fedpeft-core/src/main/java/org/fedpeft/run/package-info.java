/**
 * A federated run's parts that the in-process simulation and a network server share: the run's
 * config ({@link org.fedpeft.run.SimulationConfig}, composed of {@link org.fedpeft.run.RunSection},
 * {@link org.fedpeft.run.ClientSection}, {@link org.fedpeft.run.EvalSection} and the other modules'
 * sections), the strategy factory (strategy, server optimiser, client-level DP, per-client config
 * and seeds), the population (data, partition, each client's examples), the run recorder
 * (metrics.jsonl, summary.json, manifest.json with the build's commit from {@link
 * org.fedpeft.run.RunManifest}, partition.json), the checkpoint and the points where a run can be
 * held ({@link org.fedpeft.run.PausePoint}). It uses no class of {@code org.fedpeft.simulation}.
 */
package org.fedpeft.run;
