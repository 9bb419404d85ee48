/**
 * Models: {@link io.ravine.nn.Mlp} describes a multilayer perceptron (dense layers, activations, loss);
 * {@link io.ravine.nn.Model} binds it to a backend with one flat parameter buffer θ and one gradient buffer, the
 * layers being views into them, and runs the hand-written vectorized forward and backward passes.
 */
package io.ravine.nn;
