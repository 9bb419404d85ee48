package io.ravine.cli;

import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import picocli.CommandLine.Option;

/** {@code --device} and {@code --threads} for the commands that measure an existing run (diagnose, landscape). */
final class DeviceFlags {
    @Option(names = "--device", description = "auto (default), cpu or cuda")
    String device = "auto";

    @Option(names = "--threads", description = "CPU BLAS threads (default: all cores)")
    int threads;

    /** The backend these flags name (full float32 matrix products: measurements are not sped up with TF32). */
    Backend open() {
        return Devices.open(device, false, threads);
    }
}
