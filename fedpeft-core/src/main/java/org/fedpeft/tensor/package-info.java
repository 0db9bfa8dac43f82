/**
 * Heap tensors ({@link org.fedpeft.tensor.HostTensor}) exchanged between engine, files and wire,
 * and host-side arithmetic on float arrays: cosine similarity ({@link org.fedpeft.tensor.Vectors})
 * and the norms and SVD of sums of low-rank products ({@link org.fedpeft.tensor.LowRank}).
 */
package org.fedpeft.tensor;
