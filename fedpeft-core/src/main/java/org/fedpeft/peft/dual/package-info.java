/**
 * Personalised LoRA methods, in which part of the adapter never leaves the client: FedDPA (Yang et
 * al., NeurIPS 2024, arXiv 2403.19211), a GLOBAL and a LOCAL LoRA mixed per example by the input's
 * similarity to the client's own data ({@link org.fedpeft.peft.dual.FedDpaAdapter}, options in
 * {@link org.fedpeft.peft.dual.FedDpaConfig}, method {@code feddpa}); and its LoRA baselines with
 * local factors ({@link org.fedpeft.peft.dual.PersonalLoraAdapter}): {@code fedlora} (the whole
 * LoRA local) and {@code fedsa-lora} (A shared, B local). docs/methods.md describes the design.
 */
package org.fedpeft.peft.dual;
