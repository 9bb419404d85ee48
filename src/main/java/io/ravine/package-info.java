/** Ravine: a neural-network trainer and optimization lab for the JVM. Subpackages are layered; see README. */
package io.ravine;
