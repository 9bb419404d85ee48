package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every file Ravine writes goes through {@link AtomicFiles} (temporary file + rename), so a killed process never
 * leaves a half-written one. This test keeps it so: it reads the main sources (comments and string literals blanked
 * out) and fails on any call that writes a file some other way, unless the file and the call are in {@link #ALLOWED}
 * with the reason and the exact number of such calls. A new raw write breaks the build; so does removing one
 * without updating the list (the list stays a true account of the exceptions).
 *
 * <p>A source scan, not a bytecode one: it sees what a reviewer sees and names the line. It cannot see a write
 * hidden behind a library call that takes a path (none of the libraries in pom.xml is given one today); XChart's
 * and ImageIO's file-writing entry points are in the list for that reason.
 */
class NoRawFileWritesTest {
    private static final Path MAIN = Path.of("src", "main", "java");

    /** Calls that create, replace or append to a file. */
    static final Map<String, Pattern> FORBIDDEN = new TreeMap<>(Map.ofEntries(
            Map.entry("Files.write*", Pattern.compile("\\bFiles\\s*\\.\\s*write\\w*\\s*\\(")),
            Map.entry("Files.newBufferedWriter", Pattern.compile("\\bFiles\\s*\\.\\s*newBufferedWriter\\b")),
            Map.entry("Files.newOutputStream", Pattern.compile("\\bFiles\\s*\\.\\s*newOutputStream\\b")),
            Map.entry("Files.newByteChannel", Pattern.compile("\\bFiles\\s*\\.\\s*newByteChannel\\b")),
            Map.entry("Files.copy", Pattern.compile("\\bFiles\\s*\\.\\s*copy\\b")),
            Map.entry("Files.move", Pattern.compile("\\bFiles\\s*\\.\\s*move\\b")),
            Map.entry("Files.createFile", Pattern.compile("\\bFiles\\s*\\.\\s*createFile\\b")),
            Map.entry("Files.createTempFile", Pattern.compile("\\bFiles\\s*\\.\\s*createTempFile\\b")),
            Map.entry("static import of Files or StandardOpenOption",
                    Pattern.compile("\\bimport\\s+static\\s+java\\.nio\\.file\\.(Files|StandardOpenOption)\\b")),
            Map.entry("FileChannel.open", Pattern.compile("\\bFileChannel\\s*\\.\\s*open\\b")),
            Map.entry("StandardOpenOption.WRITE/APPEND/CREATE*/TRUNCATE_EXISTING", Pattern.compile(
                    "\\bStandardOpenOption\\s*\\.\\s*(WRITE|APPEND|CREATE|CREATE_NEW|TRUNCATE_EXISTING)\\b")),
            Map.entry("FileOutputStream", Pattern.compile("\\bFileOutputStream\\b")),
            Map.entry("FileWriter", Pattern.compile("\\bFileWriter\\b")),
            Map.entry("RandomAccessFile", Pattern.compile("\\bRandomAccessFile\\b")),
            Map.entry("AsynchronousFileChannel", Pattern.compile("\\bAsynchronousFileChannel\\b")),
            Map.entry("new PrintWriter/PrintStream", Pattern.compile("\\bnew\\s+Print(Writer|Stream)\\s*\\(")),
            Map.entry("XChart save*", Pattern.compile("\\b(BitmapEncoder|VectorGraphicsEncoder)\\s*\\.\\s*save\\w*")),
            Map.entry("ImageIO.write", Pattern.compile("\\bImageIO\\s*\\.\\s*write\\b")),
            Map.entry("ProcessBuilder.redirectOutput/redirectError",
                    Pattern.compile("\\.\\s*redirect(Output|Error)\\s*\\("))));

    /** One allowed use: the source file (under src/main/java/io/ravine), the call, how many, and why. */
    record Allowed(String file, String call, int count, String why) {
    }

    static final List<Allowed> ALLOWED = List.of(
            new Allowed("io/AtomicFiles.java", "FileChannel.open", 2,
                    "the implementation: the temporary file (CREATE_NEW) and the directory fsync (READ)"),
            new Allowed("io/AtomicFiles.java", "StandardOpenOption.WRITE/APPEND/CREATE*/TRUNCATE_EXISTING", 2,
                    "the implementation: CREATE_NEW + WRITE on the temporary file"),
            new Allowed("io/AtomicFiles.java", "Files.move", 1, "the implementation: the atomic rename"),
            new Allowed("io/AppendOnlyFile.java", "FileChannel.open", 1,
                    "the files a run appends to as it goes (metrics.csv, TensorBoard's event files): each append is one"
                            + " write of whole rows or records, so a kill leaves at most a torn last one, which their"
                            + " readers recognise; creating them and cutting them back on resume go through"
                            + " AtomicFiles"),
            new Allowed("io/AppendOnlyFile.java", "StandardOpenOption.WRITE/APPEND/CREATE*/TRUNCATE_EXISTING", 2,
                    "WRITE + APPEND for those files, as above"),
            new Allowed("io/SafeTensors.java", "FileChannel.open", 1, "opens a checkpoint for READ only"),
            new Allowed("io/DirectoryLock.java", "FileChannel.open", 2,
                    "the lock file .lock must be one file that every writer opens and locks in place (fcntl); a"
                            + " rename would give each writer its own file. It holds only PID@HOST TIME, rewritten"
                            + " by each new holder; the second open is READ only (a shared-lock probe)"),
            new Allowed("io/DirectoryLock.java", "StandardOpenOption.WRITE/APPEND/CREATE*/TRUNCATE_EXISTING", 2,
                    "CREATE + WRITE of the lock file, as above"),
            new Allowed("io/OutputDirectories.java", "Files.move", 2,
                    "renames a whole directory aside (ATOMIC_MOVE) before it is replaced, and back if writing its"
                            + " replacement fails: the atomic step that makes --overwrite leave the old or the new,"
                            + " never a mix; no file's contents are written"),
            new Allowed("report/SampledGrid.java", "ImageIO.write", 1,
                    "encodes the contour and surface plots' PNG into a ByteArrayOutputStream, which AtomicFiles then"
                            + " writes"),
            new Allowed("backend/cuda/CublasLoader.java", "Files.copy", 1,
                    "extracts the cuBLAS bridge library into this JVM's fresh 0700 native directory (NativeDirectory)"
                            + " for System.load; not a user's file, and never read again after a crash"),
            new Allowed("cli/RunDirectoryCheck.java", "Files.createTempFile", 1,
                    "an empty probe file, deleted at once: creating a file is the only writability test that holds for"
                            + " root too; no user data is ever in it"),
            new Allowed("bench/TorchPeer.java", "Files.createTempFile", 1,
                    "a scratch file for the PyTorch peer's stderr, deleted when the peer ends"),
            new Allowed("bench/TorchPeer.java", "ProcessBuilder.redirectOutput/redirectError", 1,
                    "the peer's stderr into that scratch file"));

    @Test
    void everyFileWriteInTheMainSourcesGoesThroughAtomicFilesOrIsAListedException() throws IOException {
        // (file, call) → line numbers found
        Map<String, List<Integer>> found = new TreeMap<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(MAIN)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(sources.size() > 50, "the main sources were not found under " + MAIN.toAbsolutePath());
        for (Path source : sources) {
            String rel = MAIN.resolve("io/ravine").relativize(source).toString().replace('\\', '/');
            for (Map.Entry<String, List<Integer>> e : scan(Files.readString(source)).entrySet()) {
                found.put(rel + " " + e.getKey(), e.getValue());
            }
        }
        List<String> problems = new ArrayList<>();
        for (Allowed a : ALLOWED) {
            List<Integer> lines = found.remove(a.file() + " " + a.call());
            int n = lines == null ? 0 : lines.size();
            if (n != a.count()) {
                problems.add(a.file() + ": " + n + " × " + a.call() + " (lines " + lines + "), the list allows "
                        + a.count() + " (" + a.why() + ")");
            }
        }
        found.forEach((key, lines) -> problems.add(key.replace(" ", ": ") + " at lines " + lines
                + " writes a file without AtomicFiles (write to a temporary and rename: AtomicFiles.write)"));
        assertEquals(List.of(), problems, "raw file writes in " + MAIN);
    }

    @Test
    void theScanFindsRawWritesAndIgnoresCommentsAndStrings() {
        String code = String.join("\n",
                "class X {",
                "  // Files.writeString(p, s) in a comment",
                "  /* new FileOutputStream(f) */ String s = \"Files.write(p, b)\";",
                "  String t = \"\"\"",
                "      ImageIO.write(img, \"png\", file)",
                "      \"\"\";",
                "  char c = '\"'; void f() throws Exception { Files.writeString(p, s); }",
                "  void g() { try (var o = new java.io.FileOutputStream(f)) { o.write(1); } }",
                "  void h() { var w = Files.newBufferedWriter(p, StandardOpenOption.APPEND); }",
                "  void i() { BitmapEncoder.saveBitmap(chart, name, BitmapFormat.PNG); pb.redirectErrorStream(true); }",
                "}");
        Map<String, List<Integer>> found = scan(code);
        assertEquals(Map.of("Files.write*", List.of(7), "FileOutputStream", List.of(8),
                "Files.newBufferedWriter", List.of(9),
                "StandardOpenOption.WRITE/APPEND/CREATE*/TRUNCATE_EXISTING", List.of(9),
                "XChart save*", List.of(10)), found);
    }

    /** Call name → line numbers of its matches in {@code source}, comments and literals left out. */
    static Map<String, List<Integer>> scan(String source) {
        String code = blankCommentsAndLiterals(source);
        Map<String, List<Integer>> found = new TreeMap<>();
        for (Map.Entry<String, Pattern> f : FORBIDDEN.entrySet()) {
            Matcher m = f.getValue().matcher(code);
            while (m.find()) {
                int line = 1 + (int) code.substring(0, m.start()).chars().filter(c -> c == '\n').count();
                found.computeIfAbsent(f.getKey(), k -> new ArrayList<>()).add(line);
            }
        }
        return found;
    }

    /** Replaces comments, string and char literals and text blocks by spaces, keeping every newline. */
    static String blankCommentsAndLiterals(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            int end;
            if (s.startsWith("//", i)) {
                end = s.indexOf('\n', i);
                end = end < 0 ? s.length() : end;
            } else if (s.startsWith("/*", i)) {
                end = s.indexOf("*/", i + 2);
                end = end < 0 ? s.length() : end + 2;
            } else if (s.startsWith("\"\"\"", i)) {
                end = closing(s, i + 3, "\"\"\"");
            } else if (s.charAt(i) == '"' || s.charAt(i) == '\'') {
                end = closing(s, i + 1, String.valueOf(s.charAt(i)));
            } else {
                out.append(s.charAt(i++));
                continue;
            }
            for (; i < end; i++) {
                out.append(s.charAt(i) == '\n' ? '\n' : ' ');
            }
        }
        return out.toString();
    }

    /** The index just past the {@code quote} that closes a literal whose body starts at {@code from}. */
    private static int closing(String s, int from, String quote) {
        int i = from;
        while (i < s.length()) {
            if (s.charAt(i) == '\\') {
                i += 2;
            } else if (s.startsWith(quote, i)) {
                return i + quote.length();
            } else {
                i++;
            }
        }
        return s.length();
    }
}
