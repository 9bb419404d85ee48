/**
 * The host side of training's update step: {@link io.ravine.optim.Optimizer} holds an update rule's
 * hyper-parameters and turns a step count into the scalars of one fused
 * {@link io.ravine.backend.Backend#optimizerStep} call; {@link io.ravine.optim.OptimizerState} owns the rule's
 * θ-sized state vectors and the step counter; {@link io.ravine.optim.Schedules} builds learning-rate schedules as
 * DJL {@link ai.djl.training.tracker.Tracker}s; {@link io.ravine.optim.IterateAverage} keeps an exponential moving
 * average of the iterates (Polyak averaging with a finite window).
 *
 * <p>Modelled on optax (an optimizer is its hyper-parameters plus an explicit state) and on DJL's builders.
 */
package io.ravine.optim;
