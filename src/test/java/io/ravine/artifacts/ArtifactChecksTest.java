package io.ravine.artifacts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each rule of {@link ArtifactChecks} finds what it is about, so ArtifactsIT can fail (and passes on clean input). */
class ArtifactChecksTest {
    @TempDir
    Path tmp;

    /** A class file header of the given major version (enough for the version check). */
    private static byte[] classFile(int major) {
        return new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, (byte) (major >> 8),
                (byte) major};
    }

    private Path jar(String name, Map<String, byte[]> entries, String mainClass) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (mainClass != null) {
            mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        }
        Path p = tmp.resolve(name);
        try (OutputStream out = Files.newOutputStream(p); JarOutputStream j = new JarOutputStream(out, mf)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                j.putNextEntry(new ZipEntry(e.getKey()));
                j.write(e.getValue());
                j.closeEntry();
            }
        }
        return p;
    }

    private static final Map<String, byte[]> CLEAN = Map.of(
            "io/ravine/A.class", classFile(61),
            "io/ravine/fonts/F.ttf", new byte[10],
            "META-INF/LICENSE", new byte[1],
            "META-INF/NOTICE", new byte[1],
            "META-INF/maven/io.ravine/ravine/pom.xml", new byte[1],
            "META-INF/services/io.ravine.train.RunReporter", new byte[1]);

    @Test
    void aCleanLibraryJarPasses() throws IOException {
        assertEquals(List.of(), ArtifactChecks.libraryJarProblems(jar("clean.jar", CLEAN, null), 1_000_000));
    }

    @Test
    void everyKindOfForeignContentIsFound() throws IOException {
        Map<String, byte[]> bad = new java.util.TreeMap<>(CLEAN);
        bad.put("logback.xml", new byte[1]);
        bad.put("org/slf4j/impl/StaticLoggerBinder.class", classFile(52));
        bad.put("META-INF/services/org.slf4j.spi.SLF4JServiceProvider", new byte[1]);
        bad.put("com/google/gson/Gson.class", classFile(52));
        bad.put("org/bytedeco/openblas/linux-x86_64/libopenblas.so.0", new byte[1]);
        bad.put("META-INF/maven/com.google.code.gson/gson/pom.xml", new byte[1]);
        bad.put("META-INF/services/java.sql.Driver", new byte[1]);
        bad.put("io/ravine/B.class", classFile(65));
        List<String> problems = ArtifactChecks.libraryJarProblems(jar("bad.jar", bad, "io.ravine.cli.Main"), 100);
        String all = String.join("\n", problems);
        for (String expected : List.of("logging configuration logback.xml",
                "SLF4J binding or API org/slf4j/impl/StaticLoggerBinder.class",
                "SLF4J binding or API META-INF/services/org.slf4j.spi.SLF4JServiceProvider",
                "class outside io/ravine/: com/google/gson/Gson.class",
                "resource outside io/ravine/: org/bytedeco/openblas/linux-x86_64/libopenblas.so.0",
                "foreign metadata META-INF/maven/com.google.code.gson/gson/pom.xml",
                "foreign metadata META-INF/services/java.sql.Driver",
                "io/ravine/B.class is class file version 65", "bytes, not under 100", "a Main-Class")) {
            assertTrue(all.contains(expected), expected + " not reported in:\n" + all);
        }
        assertEquals(10, problems.size(), all);
    }

    @Test
    void theProjectsOwnPomPasses() throws Exception {
        assertEquals(List.of(), ArtifactChecks.installedPomProblems(Files.readString(Path.of("pom.xml"))));
    }

    @Test
    void theIssuesPomFails() throws Exception {
        // Issue 13's state: everything required at compile scope, XChart with PDFBox, JUnit at compile, no licence.
        String pom = """
                <project><dependencies>
                  <dependency><groupId>org.jcuda</groupId><artifactId>jcuda</artifactId></dependency>
                  <dependency><groupId>info.picocli</groupId><artifactId>picocli</artifactId></dependency>
                  <dependency><groupId>org.knowm.xchart</groupId><artifactId>xchart</artifactId>
                    <optional>true</optional></dependency>
                  <dependency><groupId>ch.qos.logback</groupId><artifactId>logback-classic</artifactId>
                    <scope>runtime</scope></dependency>
                  <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId></dependency>
                  <dependency><groupId>org.apache.pdfbox</groupId><artifactId>pdfbox</artifactId>
                    <optional>true</optional></dependency>
                  <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
                  <dependency><groupId>org.mockito</groupId><artifactId>mockito-core</artifactId>
                    <scope>test</scope></dependency>
                </dependencies></project>""";
        List<String> problems = ArtifactChecks.installedPomProblems(pom);
        assertEquals(List.of(
                "org.jcuda:jcuda must be optional (a user adds it only to use that part)",
                "info.picocli:picocli must be optional (a user adds it only to use that part)",
                "org.knowm.xchart:xchart without excluding de.rototor.pdfbox:graphics2d (pdfbox brings junit-jupiter)",
                "ch.qos.logback:logback-classic must be optional (a user adds it only to use that part)",
                "org.junit.jupiter:junit-jupiter is a test library at scope compile",
                "org.apache.pdfbox:pdfbox: PDFBox is not Ravine's dependency (it writes PNG only)",
                "no <licenses> entry naming Apache-2.0"), problems);
    }

    @Test
    void aCompileClassPathWithATestLibraryABindingOrAnOptionalPartFails() {
        Path repo = Path.of("/r");
        List<Path> cp = List.of(repo.resolve("io/ravine/ravine/1/ravine-1.jar"),
                repo.resolve("org/slf4j/slf4j-api/2/slf4j-api-2.jar"),
                repo.resolve("org/junit/jupiter/junit-jupiter/5/junit-jupiter-5.jar"),
                repo.resolve("org/opentest4j/opentest4j/1/opentest4j-1.jar"),
                repo.resolve("ch/qos/logback/logback-classic/1/logback-classic-1.jar"),
                repo.resolve("org/jcuda/jcuda/12/jcuda-12.jar"));
        List<String> problems = ArtifactChecks.compileClassPathProblems(cp, repo);
        assertEquals(4, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("org/junit/jupiter/junit-jupiter/5/junit-jupiter-5.jar is a test library"));
        assertEquals(List.of(), ArtifactChecks.compileClassPathProblems(cp.subList(0, 2), repo));
    }

    @Test
    void aClassInTwoJarsIsADuplicate() throws IOException {
        Path a = jar("a.jar", Map.of("com/google/gson/Gson.class", classFile(52), "module-info.class", classFile(53)),
                null);
        Path b = jar("b.jar", Map.of("com/google/gson/Gson.class", classFile(52), "module-info.class", classFile(53),
                "io/ravine/A.class", classFile(61)), null);
        assertEquals(Map.of("com/google/gson/Gson.class", List.of("a.jar", "b.jar")),
                ArtifactChecks.duplicateClasses(List.of(a, b)));
        assertEquals(Map.of(), ArtifactChecks.duplicateClasses(List.of(b)));
    }
}
