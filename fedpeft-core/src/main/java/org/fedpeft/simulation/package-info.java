/**
 * The in-process simulation and round driver: {@link org.fedpeft.simulation.Simulation} runs a
 * run's rounds with every client in this process ({@code fedpeft simulate}), or with a remote node
 * standing for each client ({@code fedpeft server}), over the parts of {@code org.fedpeft.run}
 * (config, strategy, population, recorder, checkpoint); {@link org.fedpeft.simulation.RunInputs}
 * checks that a resumed run reads the inputs it started with. {@code org.fedpeft.run} uses no class
 * of this package.
 */
package org.fedpeft.simulation;
