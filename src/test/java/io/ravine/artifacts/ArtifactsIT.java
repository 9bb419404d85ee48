package io.ravine.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a user's project gets from Ravine (issue 13), checked on what the build made and installed, after package:
 *
 * <ul>
 *   <li>the library jar (target/ravine-VERSION.jar, the main artifact): Ravine's classes and resources only, no
 *       logging configuration or binding, Java 17 class files, under 5 MB;
 *   <li>the CLI jar (target/ravine.jar, attached as classifier cli): runnable and self-contained;
 *   <li>what maven-invoker-plugin installed into target/local-repo: both jars, byte for byte, and the pom, whose
 *       dependencies have the scopes and optional flags of {@link ArtifactChecks#installedPomProblems};
 *   <li>the consumer: examples/, built by the invoker against that repository (target/it/examples): it succeeded, its
 *       compile class path holds no test library, binding or optional part, its runtime class path no class twice,
 *       and its programs ran against this build's jar with the application's own logging configuration.
 * </ul>
 *
 * Failsafe passes the paths and version (pom.xml); the invoker's run precedes this test in the integration-test phase.
 */
class ArtifactsIT {
    private static final Path ROOT = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    private static final String VERSION = System.getProperty("ravine.version", "");
    private static final Path TARGET = ROOT.resolve("target");
    private static final Path LIBRARY_JAR = TARGET.resolve("ravine-" + VERSION + ".jar");
    private static final Path CLI_JAR = TARGET.resolve("ravine.jar");
    private static final Path LOCAL_REPO = TARGET.resolve("local-repo");
    private static final Path INSTALLED = LOCAL_REPO.resolve("io/ravine/ravine/" + VERSION);
    private static final Path EXAMPLES = TARGET.resolve("it/examples");

    @Test
    void theLibraryJarHoldsRavineOnlyAndStaysUnder5MB() throws IOException {
        assertTrue(!VERSION.isEmpty(), "ravine.version not set: run through mvn verify");
        assertTrue(Files.isRegularFile(LIBRARY_JAR), LIBRARY_JAR + " missing");
        List<String> problems = ArtifactChecks.libraryJarProblems(LIBRARY_JAR, ArtifactChecks.LIBRARY_JAR_BUDGET);
        assertEquals(List.of(), problems, LIBRARY_JAR.toString());
        System.out.printf("ArtifactsIT: %s is %.2f MB%n", LIBRARY_JAR.getFileName(), Files.size(LIBRARY_JAR) / 1e6);
        try (JarFile j = new JarFile(LIBRARY_JAR.toFile())) {
            // What --data embedded and the charts need travels with the library.
            for (String resource : List.of("io/ravine/data/embedded/train-images-idx3-ubyte.gz",
                    "io/ravine/data/embedded/LICENSE", "io/ravine/fonts/DejaVuSans.ttf", "io/ravine/fonts/LICENSE",
                    "io/ravine/cli/Main.class", "io/ravine/train/Trainer.class")) {
                assertNotNull(j.getEntry(resource), resource);
            }
            assertEquals("io.ravine", j.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
        }
    }

    @Test
    void theCliJarIsSelfContainedAndCarriesTheCliLoggingConfiguration() throws IOException {
        assertTrue(Files.isRegularFile(CLI_JAR), CLI_JAR + " missing");
        try (JarFile j = new JarFile(CLI_JAR.toFile())) {
            assertEquals("io.ravine.cli.Main", j.getManifest().getMainAttributes().getValue("Main-Class"));
            for (String entry : List.of("logback.xml", "io/ravine/cli/Main.class", "picocli/CommandLine.class",
                    "ch/qos/logback/classic/Logger.class", "org/knowm/xchart/XYChart.class",
                    "jcuda/driver/JCudaDriver.class", "org/bytedeco/openblas/global/openblas_nolapack.class",
                    "META-INF/LICENSE", "META-INF/NOTICE")) {
                assertNotNull(j.getEntry(entry), entry);
            }
            for (String absent : List.of("org/apache/pdfbox/pdmodel/PDDocument.class", "org/junit/jupiter/api/Test.class",
                    "logback-test.xml")) {
                assertEquals(null, j.getEntry(absent), absent);
            }
        }
    }

    @Test
    void mavenInstallsBothJarsAndAPomWithTheRightScopes() throws Exception {
        assumeInvokerRan();
        Path jar = INSTALLED.resolve("ravine-" + VERSION + ".jar");
        Path cli = INSTALLED.resolve("ravine-" + VERSION + "-cli.jar");
        Path pom = INSTALLED.resolve("ravine-" + VERSION + ".pom");
        assertArrayEquals(Files.readAllBytes(LIBRARY_JAR), Files.readAllBytes(jar), "installed library jar");
        assertArrayEquals(Files.readAllBytes(CLI_JAR), Files.readAllBytes(cli), "installed CLI jar");
        assertEquals(List.of(), ArtifactChecks.installedPomProblems(Files.readString(pom)), pom.toString());
    }

    @Test
    void aUsersProjectCompilesAndRunsWithACleanClassPath() throws Exception {
        assumeInvokerRan();
        Path log = EXAMPLES.resolve("build.log");
        String build = Files.exists(log) ? Files.readString(log) : "(no build.log)";
        assertTrue(build.contains("BUILD SUCCESS"), "the examples build failed; the end of " + log + ":\n"
                + tail(build, 80) + programLogs());

        List<Path> compile = classPath("compile-classpath.txt");
        assertEquals(LOCAL_REPO.resolve("io/ravine/ravine/" + VERSION + "/ravine-" + VERSION + ".jar"),
                compile.get(0), "the examples must build against this build's installed jar");
        assertEquals(List.of(), ArtifactChecks.compileClassPathProblems(compile, LOCAL_REPO), compile.toString());

        List<Path> runtime = classPath("runtime-classpath.txt");
        Map<String, List<String>> duplicates = ArtifactChecks.duplicateClasses(runtime);
        assertEquals(Map.of(), duplicates, "classes on the runtime class path twice");
        // The application's binding and nothing of Ravine's optional parts.
        assertTrue(runtime.stream().anyMatch(p -> p.getFileName().toString().startsWith("logback-classic-")));
        assertEquals(List.of(), runtime.stream().map(p -> LOCAL_REPO.relativize(p).toString())
                .filter(p -> p.startsWith("org/jcuda/") || p.startsWith("org/knowm/") || p.startsWith("info/picocli/"))
                .toList());

        // The programs ran (exec fails the build otherwise); without JCuda, device auto is one line, written by the
        // examples' own logback.xml ("[examples]" prefix): Ravine's jar configures nobody's logging.
        String out = programLogs();
        assertTrue(out.lines().anyMatch(l -> l.equals("[examples] INFO  Devices - using the CPU: CUDA support is not on"
                + " the class path: add org.jcuda:jcuda and org.jcuda:jcublas 12.6.0")), out);
        assertTrue(!out.contains("Exception") && !out.contains("SLF4J(W)"), out);
    }

    @Test
    void theExamplesPomNamesThisVersionOfRavine() throws IOException {
        // The invoker passes -Dravine.version; a user building examples/ by hand gets the pom's own value.
        String pom = Files.readString(ROOT.resolve("examples/pom.xml"));
        Matcher m = Pattern.compile("<ravine.version>([^<]+)</ravine.version>").matcher(pom);
        assertTrue(m.find(), "examples/pom.xml has no ravine.version property");
        assertEquals(VERSION, m.group(1), "examples/pom.xml's ravine.version");
    }

    private static void assumeInvokerRan() {
        assumeTrue(Files.exists(TARGET.resolve("invoker-reports")),
                "maven-invoker-plugin did not run (-Dinvoker.skip?): the installed artifacts and the examples are not"
                        + " checked");
    }

    private static List<Path> classPath(String file) throws IOException {
        Path f = EXAMPLES.resolve("target").resolve(file);
        assertTrue(Files.isRegularFile(f), f + " missing");
        return Arrays.stream(Files.readString(f).trim().split(File.pathSeparator)).map(Path::of).toList();
    }

    private static String programLogs() throws IOException {
        Path dir = EXAMPLES.resolve("target/examples");
        if (!Files.isDirectory(dir)) {
            return "\n(no program output in " + dir + ")";
        }
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path p : logs.sorted().toList()) {
                sb.append("\n--- ").append(p.getFileName()).append('\n').append(Files.readString(p));
            }
        }
        return sb.toString();
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
