/**
 * Federated learning on the server and the client, free of any engine or transport: strategies,
 * aggregation, server optimisers, client sampling, validation, byte accounting, and a synchronous
 * in-process round driver. Everything operates on {@code Map<String, HostTensor>} with
 * double-precision accumulation, so each rule can be checked by hand.
 *
 * <h2>Shape of a round</h2>
 *
 * A round is a pure function of (server state, round number, replies), after Flower's strategy
 * design (configure a round, aggregate the replies) and FedJAX's explicit state:
 *
 * <pre>
 *   sampled  = ClientSampler.sample(population, t)                  keyed by (seed, t) only
 *   fitIns   = Strategy.configureRound(state_{t-1}, t, sampled)     -> FitInstructions per client
 *   update_c = ClientApp.fit(fitIns_c)                              on the client, or a failure
 *   result   = Strategy.aggregate(state_{t-1}, t, updates, failures)
 *            = validate -> quorum -> Aggregator -> strategy hook -> ServerOptimizer -> state_t
 * </pre>
 *
 * The {@link org.fedpeft.federation.ServerState} is immutable and serializes exactly (safetensors
 * plus string metadata), so a restarted server resumes bit for bit. {@link
 * org.fedpeft.federation.FederatedRound} drives rounds in process; a networked server reuses {@link
 * org.fedpeft.federation.Strategy} and {@link org.fedpeft.federation.ClientApp} unchanged and
 * carries the messages' byte forms ({@code toBytes}/{@code fromBytes}).
 *
 * <h2>Rules</h2>
 *
 * <ul>
 *   <li>{@link org.fedpeft.federation.WeightedMean}: per tensor, {@code sum_c w_c x_c / sum_c w_c}
 *       over the clients that sent it (w uniform or by examples); a tensor nobody sent keeps its
 *       value.
 *   <li>{@link org.fedpeft.federation.FedAvg} (McMahan et al. 2017, arXiv 1602.05629), {@link
 *       org.fedpeft.federation.FedIt} (Zhang et al. 2024, arXiv 2305.05644), {@link
 *       org.fedpeft.federation.FfaLora} (Sun et al. 2024, arXiv 2403.12313), {@link
 *       org.fedpeft.federation.FedExLora} (Singhal et al. 2025, arXiv 2410.09432: {@code R +=
 *       (alpha / r)(mean_c B_c A_c - mean B mean A)}).
 *   <li>Rank-heterogeneous LoRA ({@link org.fedpeft.federation.HeterogeneousLora}: client c trains
 *       rank r_c = round(budget_c r_max) of the global factors and sends exactly those): {@link
 *       org.fedpeft.federation.HetLora} (Cho et al. 2024, arXiv 2401.06432: zero-padded factors,
 *       sparsity-weighted mean, optional self-pruning) and {@link org.fedpeft.federation.FlexLora}
 *       (Bai et al. 2024, arXiv 2402.11505: the mean of the products B_c A_c, truncated by SVD).
 *   <li>{@link org.fedpeft.federation.ServerOptimizer}: FedAvg, FedAvgM, FedAdagrad, FedAdam,
 *       FedYogi on the pseudo-gradient {@code delta = aggregate - current} (Reddi et al. 2021,
 *       arXiv 2003.00295), moments in the server state.
 *   <li>{@link org.fedpeft.federation.FedProx}: the client-side proximal gradient {@code mu (w -
 *       w_global)} (Li et al. 2020, arXiv 1812.06127).
 * </ul>
 *
 * <h2>Robustness</h2>
 *
 * Every update is validated ({@link org.fedpeft.federation.UpdateValidator}: example count, known
 * names, shapes, finite values) and a bad one excludes only its client, with the reason ({@link
 * org.fedpeft.federation.ClientFailure}); exceptions and timeouts in clients do the same. A round
 * with fewer valid updates than the strategy's minimum throws {@link
 * org.fedpeft.federation.RoundFailedException} and leaves the state as it was.
 */
package org.fedpeft.federation;
