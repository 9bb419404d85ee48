package io.ravine.backend.cuda;

import java.nio.file.Path;

/**
 * Run in a child JVM by the native-loading tests. {@code ravine}: prints what Ravine says about CUDA
 * ({@code reason: ...}) and its private native directory ({@code dir: ...}). {@code jcuda}: loads JCuda's driver class
 * the way Ravine did before it had a private directory (straight through JCuda's LibUtils, which extracts into
 * java.io.tmpdir under a fixed name) and prints the cause of the failure ({@code error: ...}); the control run.
 */
public final class NativeLoadProbeMain {
    private NativeLoadProbeMain() {
    }

    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals("jcuda")) {
            try {
                Class.forName("jcuda.driver.JCudaDriver");
                System.out.println("error: none");
            } catch (Throwable t) {
                System.out.println("error: " + NativeDirectory.loadFailure(t));
            }
            return;
        }
        System.out.println("reason: " + CudaBackend.unavailableReason().orElse("none"));
        System.out.println("dir: " + NativeDirectory.get().map(Path::toString).orElse("none"));
    }
}
