/**
 * The lectures' two-dimensional surfaces (an ill-conditioned quadratic, Rosenbrock's banana valley, a saddle) run with
 * Ravine's own optimizers on a two-element θ, or with Newton's method, and drawn as contour plots with the
 * trajectory: gradient descent's regimes per eigen-direction (Grosse &amp; Ba, lecture 7–8), momentum in a ravine,
 * Newton's attraction to saddle points (Goodfellow 2015).
 */
package io.ravine.toy;
