/**
 * Heap tensors ({@link org.fedpeft.tensor.HostTensor}) exchanged between engine, files and wire.
 */
package org.fedpeft.tensor;
