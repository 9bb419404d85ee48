/** The {@code ravine} command line (picocli): a thin layer over the library API. */
package io.ravine.cli;
