/**
 * Pictures of the loss surface around a trained network (Goodfellow, Vinyals &amp; Saxe 2015, "Qualitatively
 * characterizing neural network optimization problems"; Li et al. 2018, "Visualizing the loss landscape of neural
 * nets"): the loss along the straight line from the initial to the final parameters, and on a plane through the
 * final parameters spanned by filter-normalised random directions or by the trajectory's principal directions.
 */
package io.ravine.landscape;
