/**
 * Kernel benchmarks in the llm.c {@code dev/cuda} habit: validate against the CPU first, then time with CUDA events
 * and print milliseconds and GB/s. Not part of the test suite; results go to {@code bench/cuda/}.
 */
package io.ravine.backend.cuda.bench;
