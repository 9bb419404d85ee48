package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import picocli.CommandLine.Option;

/** {@code --device} and {@code --threads} for the commands that measure an existing run (diagnose, landscape). */
final class DeviceFlags {
    @Option(names = "--device", description = "auto (default: the GPU where a driver and a device are found, else"
            + " the CPU), cpu or cuda")
    String device = "auto";

    @Option(names = "--threads", description = "CPU threads for matrix products and elementwise loops; any count gives the same bits (default: all cores)")
    int threads;

    /** Checks the flags before a command reads or computes anything. */
    void validate() {
        if (!device.equals("auto") && !device.equals("cpu") && !device.equals("cuda")) {
            throw new InvalidInputException("--device must be auto, cpu or cuda, got '" + device + "'");
        }
        Devices.checkThreads("--threads", threads);
    }

    /** The backend these flags name (full float32 matrix products: measurements are not sped up with TF32). */
    Backend open() {
        return Devices.open(device, false, threads);
    }
}
