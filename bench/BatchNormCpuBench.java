import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times the CPU backend's float32 batch-norm ops (training forward with the running update, then the backward) on
 * the shapes of the experiment's layers, for each thread count, and prints a hash of the outputs (which must be the
 * same for every thread count: each column's sums run in one fixed order).
 *
 * <pre>
 * mvn -o -q -DskipTests package
 * java -cp target/ravine.jar bench/BatchNormCpuBench.java [THREADS...]   # default 1 2
 * </pre>
 *
 * Prints per shape and thread count the median microseconds of forward + backward over 15 rounds (after a warm-up,
 * so the JIT has compiled the loops), and the ns per element: wall time, and the calling thread's CPU time (on a
 * machine shared with other work, CPU time is what a single-threaded run can be compared by: it does not count the
 * time the thread waited for a core; with more threads only the wall time shows the split).
 */
public class BatchNormCpuBench {
    public static void main(String[] args) {
        int[] threads = args.length == 0 ? new int[] {1, 2} : Arrays.stream(args).mapToInt(Integer::parseInt)
                .toArray();
        int[][] shapes = {{128, 128}, {128, 256}, {1024, 1024}};
        for (int[] s : shapes) {
            for (int t : threads) {
                CpuBackend.setBlasThreads(t);
                run(s[0], s[1], t);
            }
        }
    }

    private static void run(int rows, int cols, int threads) {
        try (Backend b = CpuBackend.f32()) {
            SplittableRandom rng = new SplittableRandom(7);
            float[] z = new float[rows * cols];
            float[] dy = new float[rows * cols];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) (3 + 2 * rng.nextDouble());
                dy[i] = (float) (rng.nextDouble() - 0.5);
            }
            float[] g = new float[cols];
            Arrays.fill(g, 1.3f);
            Tensor tz = b.allocate(rows, cols);
            Tensor tdy = b.allocate(rows, cols);
            Tensor out = b.allocate(rows, cols);
            Tensor dz = b.allocate(rows, cols);
            Tensor gamma = b.allocateVector(cols);
            Tensor beta = b.allocateVector(cols);
            Tensor mean = b.allocateVector(cols);
            Tensor inv = b.allocateVector(cols);
            Tensor rm = b.allocateVector(cols);
            Tensor rv = b.allocateVector(cols);
            Tensor dg = b.allocateVector(cols);
            Tensor db = b.allocateVector(cols);
            b.copyFromHost(z, 0, tz);
            b.copyFromHost(dy, 0, tdy);
            b.copyFromHost(g, 0, gamma);
            b.fill(beta, 0.1);
            b.fill(rm, 0);
            b.fill(rv, 1);
            int reps = rows * cols > 100_000 ? 20 : 200;
            for (int i = 0; i < (rows * cols > 100_000 ? 100 : 2000); i++) {
                step(b, tz, gamma, beta, out, mean, inv, rm, rv, tdy, dz, dg, db);
            }
            double[] us = new double[15];
            double[] cpu = new double[15];
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            for (int r = 0; r < us.length; r++) {
                long t0 = System.nanoTime();
                long c0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) {
                    step(b, tz, gamma, beta, out, mean, inv, rm, rv, tdy, dz, dg, db);
                }
                cpu[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e3 / reps;
                us[r] = (System.nanoTime() - t0) / 1e3 / reps;
            }
            Arrays.sort(us);
            Arrays.sort(cpu);
            int hash = Arrays.hashCode(b.toFloatArray(out)) * 31 + Arrays.hashCode(b.toFloatArray(dz)) * 17
                    + Arrays.hashCode(b.toFloatArray(dg)) + Arrays.hashCode(b.toFloatArray(rv));
            System.out.printf(Locale.ROOT, "%5d x %-5d threads %d: wall %9.1f us (%6.2f ns/element), calling thread's"
                    + " CPU %9.1f us (%6.2f ns/element), outputs hash %08x%n", rows, cols, threads, us[us.length / 2],
                    us[us.length / 2] * 1e3 / (rows * (double) cols), cpu[cpu.length / 2],
                    cpu[cpu.length / 2] * 1e3 / (rows * (double) cols), hash);
        }
    }

    private static void step(Backend b, Tensor z, Tensor gamma, Tensor beta, Tensor out, Tensor mean, Tensor inv,
            Tensor rm, Tensor rv, Tensor dy, Tensor dz, Tensor dg, Tensor db) {
        b.batchNormTrainingForward(z, gamma, beta, 1e-5, Activation.RELU, out, mean, inv, rm, rv, 0.1);
        b.batchNormBackward(z, gamma, mean, inv, dy, dz, dg, db);
    }
}
