package org.fedpeft.peft;

import ai.djl.ndarray.NDArray;

/**
 * One named tensor of an adapter (or head).
 *
 * @param name stable name, used in files, checkpoints and on the wire
 * @param scope whether it travels to the server
 * @param trainable whether the optimiser updates it (frozen adapter tensors, such as FFA-LoRA's A,
 *     are part of the adapter's state but not trained)
 * @param array the live value, updated in place by the optimiser
 */
public record AdapterTensor(String name, Scope scope, boolean trainable, NDArray array) {}
