package io.ravine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's API is documented: every public and protected type, method, constructor and field of the API
 * packages has a Javadoc comment with its {@code @param}, {@code @return} and {@code @throws} tags, and the comments
 * are well-formed (references resolve, HTML is valid). javac's doclint ({@code -Xdoclint:all/protected}, the checks of
 * {@code javadoc -Xdoclint:all}) runs over the API packages' sources, and any diagnostic fails the test with its file
 * and line. {@code mvn javadoc:javadoc} is configured with {@code all,-missing} for the whole code base, so this is
 * where completeness is kept.
 */
class ApiJavadocTest {
    private static final Path MAIN = Path.of("src", "main", "java", "io", "ravine");

    /** The API packages (directories under io/ravine; the root package's files are included too). */
    private static final List<String> API = List.of("data", "train", "nn", "optim", "backend", "backend/cpu");

    @TempDir
    Path out;

    @Test
    void everyPublicMemberOfTheApiPackagesIsDocumented() throws IOException {
        List<Path> sources = new ArrayList<>(javaFiles(MAIN));
        for (String p : API) {
            sources.addAll(javaFiles(MAIN.resolve(p)));
        }
        assertTrue(sources.size() > 50, "API sources not found under " + MAIN.toAbsolutePath());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = List.of("-Xdoclint:all/protected", "-Xmaxwarns", "100000", "-Xmaxerrs", "100000",
                    "-proc:none", "-implicit:none", "-encoding", "UTF-8", "-d", out.toString(),
                    "-sourcepath", Path.of("src", "main", "java").toString(),
                    "-cp", System.getProperty("java.class.path"));
            javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjectsFromPaths(sources)).call();
        }
        List<String> problems = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.NOTE || d.getSource() == null) {
                continue;
            }
            problems.add(Path.of(d.getSource().toUri()).getFileName() + ":" + d.getLineNumber() + ": "
                    + d.getMessage(Locale.ROOT));
        }
        assertEquals(List.of(), problems, problems.size() + " doclint problems in the API packages");
    }

    private static List<Path> javaFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }
}
