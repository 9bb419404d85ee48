package io.ravine.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The GPU bundle as a GPU host gets it (issue 11): built by docker/build-bundle.sh from target/ravine.jar into
 * target/bundle-it/ (never the repository's bundle/), under 60 MB, no native file needing a glibc above 2.17, and its
 * own runtime training and drawing its charts in a mount namespace where the host's fonts, fontconfig, FreeType and
 * HarfBuzz are hidden (src/test/resources/io/ravine/bundle/hide-host-font-stack.sh). The namespace is proved first:
 * the hidden files are unreadable inside it and readable outside, and the build's own JDK, whose font stack is the
 * host's, cannot draw there.
 *
 * <p>Runs in {@code mvn verify} (Failsafe, after package). Skipped, with one message naming what is missing, where
 * Temurin (or RAVINE_BUNDLE_JDK), zip/unzip, objdump, or unshare with mount permission is missing, or where the jar was
 * built without nvcc/gcc (no CUDA kernels or bridge to bundle).
 */
class BundleIT {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path WORK = ROOT.resolve("target/bundle-it");
    private static final Path BUNDLE = WORK.resolve("bundle");
    private static final long BUDGET_BYTES = 60_000_000L;

    private static String missingForBuild;
    private static long bundleBytes;
    private static String buildOutput = "";

    record Run(int status, String output) {
        List<String> lines() {
            return output.lines().toList();
        }
    }

    @BeforeAll
    static void buildTheBundle() throws Exception {
        missingForBuild = missingForBuild();
        if (missingForBuild != null) {
            return;
        }
        deleteRecursively(WORK);
        Files.createDirectories(WORK);
        Run build = run(List.of("bash", ROOT.resolve("docker/build-bundle.sh").toString(), BUNDLE.toString()),
                ROOT, 600);
        buildOutput = build.output();
        assertEquals(0, build.status(), "docker/build-bundle.sh failed:\n" + build.output());
        bundleBytes = sizeOf(BUNDLE);
    }

    /** What the build needs and this machine lacks, in words; null when nothing is missing. */
    private static String missingForBuild() throws IOException, InterruptedException {
        for (String tool : List.of("zip", "unzip", "tar", "gzip")) {
            if (!onPath(tool)) {
                return tool + " not found (apt-get install zip unzip)";
            }
        }
        String jdk = System.getenv("RAVINE_BUNDLE_JDK");
        if (jdk == null) {
            boolean any = false;
            Path jvms = Path.of("/usr/lib/jvm");
            if (Files.isDirectory(jvms)) {
                try (Stream<Path> dirs = Files.list(jvms)) {
                    any = dirs.anyMatch(d -> d.getFileName().toString().startsWith("temurin-")
                            && Files.isExecutable(d.resolve("bin/jlink")) && Files.exists(d.resolve("lib/libfreetype.so")));
                }
            }
            if (!any) {
                return "no Temurin JDK under /usr/lib/jvm and no RAVINE_BUNDLE_JDK (the bundle's runtime is cut from it)";
            }
        }
        Run entries = run(List.of("unzip", "-Z1", ROOT.resolve("target/ravine.jar").toString()), ROOT, 120);
        if (!entries.output().contains("io/ravine/kernels/optimizers.fatbin")
                || !entries.output().contains("io/ravine/native/linux-x86_64/libcublas.so.12")) {
            return "target/ravine.jar has no CUDA kernels or cuBLAS bridge (built without nvcc or gcc)";
        }
        return null;
    }

    private static void assumeBuilt() {
        assumeTrue(missingForBuild == null, "GPU bundle not built here: " + missingForBuild);
    }

    private static void assumeNamespaces() throws IOException, InterruptedException {
        assumeBuilt();
        Path a = Files.createTempDirectory(WORK, "ns");
        Files.createFile(a.resolve("f"));
        Run probe = run(List.of("unshare", "-m", "sh", "-c",
                "mount --make-rprivate / && mount --bind /dev/null " + a.resolve("f") + " 2>&1 || exit 1"),
                ROOT, 60);
        Files.deleteIfExists(a.resolve("f"));
        Files.deleteIfExists(a);
        assumeTrue(onPath("unshare") && probe.status() == 0,
                "unshare -m with bind mounts not permitted here (needs root or CAP_SYS_ADMIN): " + probe.output().trim());
    }

    @Test
    void theBundleStaysUnder60MB() {
        assumeBuilt();
        assertTrue(bundleBytes > 20_000_000L, "a bundle of " + bundleBytes + " bytes lacks something:\n" + buildOutput);
        assertTrue(bundleBytes < BUDGET_BYTES, "bundle is " + bundleBytes + " bytes, over 60 MB:\n" + buildOutput);
        for (String f : List.of("runtime.tar.gz", "ravine.jar", "ravine-tests.jar",
                "junit-platform-console-standalone.jar", "ravine", "gpu-proof.sh", "check-glibc.sh")) {
            assertTrue(Files.isRegularFile(BUNDLE.resolve(f)), f);
        }
        assertEquals(Files.exists(ROOT.resolve("docker/gpu-proof.sh")), Files.exists(BUNDLE.resolve("gpu-proof.sh")));
    }

    @Test
    void aJdkWithoutItsOwnFreeTypeIsRefusedInOneLine() throws Exception {
        assumeBuilt();
        Path notAJdk = Files.createTempDirectory(WORK, "not-a-jdk");
        Path out = WORK.resolve("refused");
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("docker/build-bundle.sh").toString(),
                out.toString()).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("RAVINE_BUNDLE_JDK", notAJdk.toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), output);
        assertEquals(List.of("build-bundle: RAVINE_BUNDLE_JDK=" + notAJdk + " must be a JDK >= 17 with bin/jlink and"
                + " its own lib/libfreetype.so (Temurin has both)"), output.lines().toList());
        assertFalse(Files.exists(out));
    }

    @Test
    void noTemurinIsOneLineNamingWhereItWasLookedFor() throws Exception {
        assumeNamespaces();
        Path out = WORK.resolve("refused");
        Path empty = Files.createTempDirectory(WORK, "empty");
        Run r = run(List.of("unshare", "-m", "sh", "-c", "mount --make-rprivate / && mount --bind " + empty
                + " /usr/lib/jvm && unset RAVINE_BUNDLE_JDK && exec bash docker/build-bundle.sh " + out), ROOT, 60);
        assertEquals(1, r.status(), r.output());
        assertEquals(List.of("build-bundle: no Temurin JDK with bin/jlink and lib/libfreetype.so under /usr/lib/jvm"
                + " (install temurin-25-jdk, or set RAVINE_BUNDLE_JDK)"), r.lines());
        assertFalse(Files.exists(out));
    }

    @Test
    void noNativeFileInTheBundleNeedsAGlibcAbove217() throws Exception {
        assumeBuilt();
        assumeTrue(onPath("objdump"), "objdump not found (apt-get install binutils): glibc check not run");
        Run check = run(List.of("bash", BUNDLE.resolve("check-glibc.sh").toString(), BUNDLE.toString()), ROOT, 300);
        assertEquals(0, check.status(), check.output());
        // Every kind of native file was looked at: the runtime's launcher, JVM and font stack, OpenBLAS, JCuda and
        // the bridge inside the jar (JNA, DJL's, is left out of the jar by pom.xml).
        for (String place : List.of("runtime.tar.gz!runtime/bin/java", "runtime.tar.gz!runtime/lib/server/libjvm.so",
                "runtime.tar.gz!runtime/lib/libfontmanager.so", "runtime.tar.gz!runtime/lib/libfreetype.so",
                "ravine.jar!org/bytedeco/openblas/linux-x86_64/libopenblas.so.0",
                "ravine.jar!org/bytedeco/openblas/linux-x86_64/libgcc_s.so.1",
                "ravine.jar!lib/libJCudaDriver-12.6.0-linux-x86_64.so",
                "ravine.jar!io/ravine/native/linux-x86_64/libcublas.so.12")) {
            assertTrue(check.lines().stream().anyMatch(l -> l.startsWith("ok ") && l.endsWith("  " + place)),
                    place + " not checked:\n" + check.output());
        }
        assertTrue(check.output().contains("need at most GLIBC_2.17"), check.output());
    }

    @Test
    void theGlibcCheckFailsOnALibraryThatNeedsANewerGlibc() throws Exception {
        assumeBuilt();
        assumeTrue(onPath("objdump"), "objdump not found (apt-get install binutils): glibc check not run");
        // The negative case: the build machine's own libc-linked binaries need its glibc (2.34+ here for
        // anything using pthread_create or dlopen); a fake bundle holding the Debian JDK's launcher must fail.
        Path java = Path.of(System.getProperty("java.home"), "bin", "java").toRealPath();
        String highest = highestGlibc(java);
        assumeTrue(highest != null && compareVersions(highest, "2.17") > 0,
                "the build JDK's java needs only GLIBC_" + highest + ": no newer binary to test the check with");
        Path fake = Files.createTempDirectory(WORK, "fake-bundle");
        Files.copy(java, fake.resolve("java"));
        Run check = run(List.of("bash", BUNDLE.resolve("check-glibc.sh").toString(), fake.toString()), ROOT, 60);
        assertEquals(1, check.status(), check.output());
        assertTrue(check.output().contains("FAIL  GLIBC_" + highest + " > 2.17  java"), check.output());
    }

    @Test
    void theNamespaceHidesTheHostFontStack() throws Exception {
        assumeNamespaces();
        List<String> hidden = new ArrayList<>();
        for (String d : List.of("/usr/share/fonts", "/etc/fonts")) {
            if (Files.isDirectory(Path.of(d)) && !isEmptyDirectory(Path.of(d))) {
                hidden.add(d);
            }
        }
        Run cache = run(List.of("ldconfig", "-p"), ROOT, 60);
        for (String line : cache.lines()) {
            String t = line.trim();
            if (t.startsWith("libfreetype.so.6 ") || t.startsWith("libfontconfig.so.1 ")) {
                hidden.add(Path.of(t.substring(t.lastIndexOf(' ') + 1)).toRealPath().toString());
            }
        }
        assumeTrue(!hidden.isEmpty(), "this host has no fonts, fontconfig or FreeType to hide");
        String check = "for f in \"$@\"; do if [ -d \"$f\" ]; then [ -z \"$(ls -A \"$f\")\" ] || echo \"VISIBLE $f\";"
                + " elif [ -s \"$f\" ]; then echo \"VISIBLE $f\"; fi; done; echo checked";
        List<String> args = new ArrayList<>(List.of("sh", "-c", check, "sh"));
        args.addAll(hidden);
        // Outside, every one of them is there (so the check below can fail) ...
        Run outside = run(args, ROOT, 60);
        assertEquals(hidden.size(), outside.lines().stream().filter(l -> l.startsWith("VISIBLE ")).count(),
                outside.output());
        // ... inside, none is.
        Run inside = inNamespace(args);
        assertEquals(0, inside.status(), inside.output());
        assertEquals(List.of("checked"), inside.lines(), "hidden: " + hidden);

        // The negative control: the build's JDK (Debian's links the host's FreeType and fontconfig) trains, keeps
        // the run, and cannot draw a single chart in there.
        Path runDir = WORK.resolve("runs/host-jdk");
        Run hostJdk = inNamespace(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", ROOT.resolve("target/ravine.jar").toString(), "train", "--device", "cpu", "--limit", "600",
                "--steps", "10", "--progress", "off", "--run-dir", runDir.toString()));
        assertEquals(0, hostJdk.status(), hostJdk.output());
        assertTrue(Files.isRegularFile(runDir.resolve("summary.json")), hostJdk.output());
        assertTrue(hostJdk.lines().stream().anyMatch(l -> l.startsWith("ravine: warning: could not write "
                + runDir.resolve("plots"))), hostJdk.output());
        assertEquals(List.of(), pngs(runDir.resolve("plots")), hostJdk.output());
    }

    @Test
    void theBundleTrainsAndDrawsItsChartsWithNoHostFontStack() throws Exception {
        assumeNamespaces();
        Path runDir = WORK.resolve("runs/bundle");
        Run train = inNamespace(List.of(BUNDLE.resolve("ravine").toString(), "train", "--device", "cpu", "--limit",
                "1000", "--steps", "30", "--log-every", "5", "--eval-every", "10", "--progress", "off", "--run-dir",
                runDir.toString()));
        assertEquals(0, train.status(), train.output());
        assertTrue(train.output().contains("test accuracy"), train.output());
        assertTrue(train.lines().stream().noneMatch(l -> l.startsWith("ravine:")), train.output());
        for (String png : List.of("loss.png", "accuracy.png", "grad-norm.png", "learning-rate.png")) {
            assertChart(runDir.resolve("plots").resolve(png));
        }
        String html = Files.readString(runDir.resolve("report.html"));
        assertTrue(html.contains("<img src=\"plots/loss.png\""), html);
        // The bundle's own runtime did it: Temurin, unpacked next to the launcher.
        assertTrue(Files.exists(BUNDLE.resolve("runtime/lib/libfreetype.so")));
        assertTrue(Files.exists(BUNDLE.resolve("runtime/lib/fonts/DejaVuSans.ttf")));
    }

    @Test
    void theGpuProofDryRunsHereSkippingEachGpuPartWithOneLine() throws Exception {
        assumeBuilt();
        Path out = WORK.resolve("proof-dry-run");
        Run proof = run(List.of("bash", BUNDLE.resolve("gpu-proof.sh").toString(), "--dry-run", out.toString()), ROOT,
                300);
        assertEquals(0, proof.status(), proof.output());
        // The summary (printed last): one SKIP line for each part that needs a GPU, the CPU run passing, no FAIL.
        String summary = proof.output().substring(proof.output().lastIndexOf("== summary"));
        List<String> skips = summary.lines().filter(l -> l.startsWith("SKIP")).toList();
        for (String part : List.of("nvidia-smi", "selftest --device cuda", "JUnit tests tagged gpu",
                "train --device cuda (embedded)", "train --device cuda (synthetic", "KernelBench --device cuda",
                "PyTorch comparison")) {
            assertEquals(1, skips.stream().filter(l -> l.contains(part)).count(), part + " in:\n" + summary);
        }
        assertEquals(7, skips.size(), summary);
        assertTrue(summary.lines().anyMatch(l -> l.startsWith("PASS  cpu test accuracy")), summary);
        assertTrue(summary.lines().noneMatch(l -> l.startsWith("FAIL")), summary);
        // What travels back: at most 8 files, each under 16 MB, summary.md among them.
        try (Stream<Path> files = Files.list(out)) {
            List<Path> all = files.toList();
            assertTrue(all.size() <= 8, all.toString());
            for (Path f : all) {
                assertTrue(Files.isRegularFile(f) && Files.size(f) < 16_000_000L, f.toString());
            }
        }
        assertTrue(Files.readString(out.resolve("summary.md")).contains("PASS  train --device cpu"));
        assertTrue(Files.readString(out.resolve("proof.log")).contains("== summary"), "proof.log is whole");
    }

    @Test
    void theGpuProofRefusesBadArgumentsAndStopsAtOnceWithoutAGpu() throws Exception {
        assumeBuilt();
        assumeTrue(!onPath("nvidia-smi"), "this machine has nvidia-smi: the no-GPU path is not testable here");
        Run bad = run(List.of("bash", BUNDLE.resolve("gpu-proof.sh").toString(), "--fast", "x"), ROOT, 60);
        assertEquals(2, bad.status(), bad.output());
        assertTrue(bad.output().contains("unknown option '--fast'"), bad.output());
        Path used = Files.createDirectories(WORK.resolve("proof-used"));
        Files.writeString(used.resolve("keep.txt"), "an earlier result");
        Run notEmpty = run(List.of("bash", BUNDLE.resolve("gpu-proof.sh").toString(), used.toString()), ROOT, 60);
        assertEquals(2, notEmpty.status(), notEmpty.output());
        assertTrue(notEmpty.output().contains("is not empty"), notEmpty.output());
        assertEquals("an earlier result", Files.readString(used.resolve("keep.txt")));
        Path out = WORK.resolve("proof-no-gpu");
        Run noGpu = run(List.of("bash", BUNDLE.resolve("gpu-proof.sh").toString(), "--quick", out.toString()), ROOT,
                120);
        assertEquals(1, noGpu.status(), noGpu.output());
        assertTrue(noGpu.output().contains("FAIL  no GPU"), noGpu.output());
        assertTrue(noGpu.output().lines().noneMatch(l -> l.startsWith("== selftest") || l.startsWith("== train")),
                "nothing else runs without a GPU:\n" + noGpu.output());
    }

    /** An 800×500 PNG with a drawn chart in it: many colours (anti-aliased lines and text), and text in the title. */
    private static void assertChart(Path png) throws IOException {
        assertTrue(Files.isRegularFile(png), png + " missing");
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth(), png.toString());
        assertEquals(500, img.getHeight(), png.toString());
        Set<Integer> colours = new HashSet<>();
        int darkInTitle = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                int luminance = ((rgb >> 16 & 0xff) * 3 + (rgb >> 8 & 0xff) * 6 + (rgb & 0xff)) / 10;
                if (y < 40 && luminance < 110) {
                    darkInTitle++;
                }
            }
        }
        assertTrue(colours.size() > 50, png + ": only " + colours.size() + " colours");
        assertTrue(darkInTitle > 30, png + ": no title text drawn (" + darkInTitle + " dark pixels in the top band)");
    }

    private static Run inNamespace(List<String> command) throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("basedir", ROOT.toString()),
                "src/test/resources/io/ravine/bundle/hide-host-font-stack.sh");
        List<String> full = new ArrayList<>(List.of("unshare", "-m", "bash", script.toString()));
        full.addAll(command);
        return run(full, ROOT, 300);
    }

    private static Run run(List<String> command, Path dir, int timeoutSeconds)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("bundle-it", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                return new Run(-1, "timed out after " + timeoutSeconds + " s: " + command + "\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static boolean onPath(String tool) throws IOException, InterruptedException {
        return run(List.of("sh", "-c", "command -v " + tool), ROOT, 30).status() == 0;
    }

    private static String highestGlibc(Path elf) throws IOException, InterruptedException {
        Run dump = run(List.of("objdump", "-T", elf.toString()), ROOT, 60);
        return dump.lines().stream().filter(l -> l.contains("*UND*"))
                .flatMap(l -> java.util.regex.Pattern.compile("GLIBC_([0-9]+(\\.[0-9]+)+)").matcher(l).results())
                .map(m -> m.group(1)).max(BundleIT::compareVersions).orElse(null);
    }

    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0, i < y.length ? Integer.parseInt(y[i]) : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static boolean isEmptyDirectory(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.findAny().isEmpty();
        }
    }

    private static List<String> pngs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).toList();
        }
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
