package io.ravine.backend.cuda;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jcuda.CudaException;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * Ravine's kernels, loaded once per backend from the fatbins the build put in the jar ({@code kernels/build.sh}), and
 * every function looked up once by its extern "C" name.
 */
final class Kernels implements AutoCloseable {
    /** The kernel families, one fatbin each. */
    static final String[] FAMILIES = {"elementwise", "activations", "reduce", "loss", "optimizers", "gemm",
        "batchnorm"};

    private final List<CUmodule> modules = new ArrayList<>();
    private final String device;
    private final int ccMajor;
    private final int ccMinor;
    private final int driverVersion;

    final CUfunction fill;
    final CUfunction copy;
    final CUfunction axpy;
    final CUfunction scale;
    final CUfunction ema;
    final CUfunction biasActForward;
    final CUfunction actBackward;
    final CUfunction reducePartial;
    final CUfunction reduceFinal;
    final CUfunction reduceAbsPartial;
    final CUfunction reduceAbsFinal;
    final CUfunction columnSum;
    final CUfunction columnSumFinal;
    final CUfunction lossForwardBackward;
    final CUfunction sgdStep;
    final CUfunction momentumStep;
    final CUfunction rmspropStep;
    final CUfunction adamStep;
    final CUfunction guard;
    final CUfunction sgemmTiled;
    final CUfunction bnStats;
    final CUfunction bnApply;
    final CUfunction bnBackwardReduce;
    final CUfunction bnBackwardApply;

    /**
     * Loads every family on the current context; a fatbin the device cannot run becomes a
     * {@link CudaUnavailableException} that names the device, the driver and what to do ({@link CudaFaults}).
     */
    Kernels(String device, int ccMajor, int ccMinor, int driverVersion) {
        this.device = device;
        this.ccMajor = ccMajor;
        this.ccMinor = ccMinor;
        this.driverVersion = driverVersion;
        CUmodule elementwise = load("elementwise");
        CUmodule activations = load("activations");
        CUmodule reduce = load("reduce");
        CUmodule loss = load("loss");
        CUmodule optimizers = load("optimizers");
        CUmodule gemm = load("gemm");
        CUmodule batchnorm = load("batchnorm");
        fill = function(elementwise, "ravine_fill");
        copy = function(elementwise, "ravine_copy");
        axpy = function(elementwise, "ravine_axpy");
        scale = function(elementwise, "ravine_scale");
        ema = function(elementwise, "ravine_ema");
        biasActForward = function(activations, "ravine_bias_act_forward");
        actBackward = function(activations, "ravine_act_backward");
        reducePartial = function(reduce, "ravine_reduce_partial");
        reduceFinal = function(reduce, "ravine_reduce_final");
        reduceAbsPartial = function(reduce, "ravine_reduce_abs_partial");
        reduceAbsFinal = function(reduce, "ravine_reduce_abs_final");
        columnSum = function(reduce, "ravine_column_sum");
        columnSumFinal = function(reduce, "ravine_column_sum_final");
        lossForwardBackward = function(loss, "ravine_loss_forward_backward");
        sgdStep = function(optimizers, "ravine_sgd_step");
        momentumStep = function(optimizers, "ravine_momentum_step");
        rmspropStep = function(optimizers, "ravine_rmsprop_step");
        adamStep = function(optimizers, "ravine_adam_step");
        guard = function(optimizers, "ravine_guard");
        sgemmTiled = function(gemm, "ravine_sgemm_tiled");
        bnStats = function(batchnorm, "ravine_bn_stats");
        bnApply = function(batchnorm, "ravine_bn_apply");
        bnBackwardReduce = function(batchnorm, "ravine_bn_backward_reduce");
        bnBackwardApply = function(batchnorm, "ravine_bn_backward_apply");
    }

    static String resource(String family) {
        return "/io/ravine/kernels/" + family + ".fatbin";
    }

    /** Which fatbin is missing from the class path, if any (the build had no nvcc). */
    static Optional<String> missingResource() {
        for (String f : FAMILIES) {
            if (Kernels.class.getResource(resource(f)) == null) {
                return Optional.of(resource(f));
            }
        }
        return Optional.empty();
    }

    private CUmodule load(String family) {
        byte[] image;
        try (InputStream in = Kernels.class.getResourceAsStream(resource(family))) {
            if (in == null) {
                throw new CudaUnavailableException("CUDA kernels were not built into this jar (missing "
                        + resource(family) + "; nvcc was absent at build time)");
            }
            image = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource(family), e);
        }
        CUmodule m = new CUmodule();
        // A fatbin: the driver picks the SASS for this GPU or JIT-compiles the embedded compute_90 PTX.
        try {
            cuModuleLoadData(m, image);
        } catch (CudaException e) {
            close();
            throw new CudaUnavailableException(CudaFaults.kernelLoadFailure(family, FatbinTargets.describe(image),
                    CublasLoader.oneLine(e), device, ccMajor, ccMinor, driverVersion), e);
        }
        modules.add(m);
        return m;
    }

    private static CUfunction function(CUmodule module, String name) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, name);
        return f;
    }

    @Override
    public void close() {
        for (CUmodule m : modules) {
            cuModuleUnload(m);
        }
        modules.clear();
    }
}
