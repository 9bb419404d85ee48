/**
 * Speed benchmarks against PyTorch: the timed Ravine update loop ({@link io.ravine.bench.StepBench}), the per-phase
 * profile of one step ({@link io.ravine.bench.PhaseTimingBackend}), the PyTorch peer run as a subprocess
 * ({@link io.ravine.bench.TorchPeer}) and the table both go into ({@link io.ravine.bench.BenchTable}). Speed is a
 * ratio against a peer run in the same command on the same machine; nothing here is asserted in the test suite.
 */
package io.ravine.bench;
