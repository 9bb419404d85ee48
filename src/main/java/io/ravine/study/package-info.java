/**
 * Studies that drive many updates or many training runs and summarise them: the batch-size study (hardware
 * saturation of one update, steps to a target loss against batch size after Shallue et al. 2018, and the gradient
 * noise scale of McCandlish et al. 2018) and the learning-rate sweep with random restarts. Every trial's result is
 * written as soon as it completes, so a rerun picks up where a killed study stopped.
 */
package io.ravine.study;
