/**
 * A federated run's parts that the in-process simulation and a network server share: the strategy
 * factory (strategy, server optimiser, client-level DP, per-client config and seeds), the
 * population (data, partition, each client's examples), the run recorder (metrics.jsonl,
 * summary.json, manifest.json, partition.json) and the checkpoint.
 */
package org.fedpeft.run;
