package io.ravine.report;

import io.ravine.io.AtomicFiles;
import io.ravine.io.IOConsumer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * The one place where a chart (PNG) or a report (HTML) is written, and the one catch that keeps such a write from
 * losing a run. Charts and reports come after the results (metrics.csv, summary.json, checkpoints, diagnosis.json,
 * toy.json, study.json, sweep.json are written first, by their owners); drawing needs the Java runtime's font stack
 * (libfontmanager, FreeType, a font), which a GPU host or container may lack. So every failure here, an exception
 * or an {@link Error} ({@code UnsatisfiedLinkError}, {@code NoClassDefFoundError}, {@code
 * ExceptionInInitializerError}, {@code AWTError}, {@code InternalError}, the font manager's {@code Error}), becomes
 * one line on stderr,
 *
 * <pre>ravine: warning: could not write runs/a/plots/loss.png (UnsatisfiedLinkError: …); the run's results are kept</pre>
 *
 * (the stack trace only after {@link #configure configure(true)}, i.e. {@code --verbose}), and the caller carries
 * on: the command's exit status is what it would have been without the chart.
 *
 * <p>An {@code Error} while drawing means the drawing stack itself is broken, and every later chart would fail the
 * same way: the first such failure says so ("no further charts are drawn") and later charts are skipped without a
 * line each, so a broken font stack costs one line, not one per chart. An exception (a directory that cannot be
 * created, a bug in one chart) concerns one file: one line per file.
 *
 * <p>XChart is an optional dependency of the library. Without it the first chart or report page is one line naming
 * the artifact to add ({@value #XCHART_ARTIFACT}) and saying that no further charts are drawn; later charts and
 * pages that need it add no line.
 */
public final class ReportFiles {
    /** Encodes a chart; runs inside the catch, so building the chart (XChart, Java2D, fonts) belongs in here. */
    @FunctionalInterface
    public interface Png {
        byte[] encode() throws IOException;
    }

    /** Work that writes one file (or draws and writes several), inside the catch. */
    @FunctionalInterface
    public interface Body {
        void run() throws IOException;
    }

    /**
     * Test hook: called with every chart and page before it is drawn and written (not by {@link #bestEffort});
     * throwing stands in for a failure of the font stack or the file system.
     */
    static volatile IOConsumer<Path> beforeWrite = target -> { };

    /**
     * Test hook: called with every chart once it is painted, before it is encoded (an XChart chart from {@link
     * ChartFonts#png}, a {@link ContourPlot} or a {@link SurfacePlot} from its {@code render()}), so that a test can
     * read the layout the picture was drawn with (tick labels, their places, the legend). Typed {@code Object}: this
     * class must load without XChart.
     */
    static volatile java.util.function.Consumer<Object> painted = chart -> { };

    private static volatile boolean traces;
    /** The artifact that draws the charts, as a user adds it (the version Ravine is built and tested with). */
    public static final String XCHART_ARTIFACT = "org.knowm.xchart:xchart 3.8.8";

    /** Why charts are skipped, after a drawing failure with an Error; null while drawing works. */
    private static volatile String drawingBroken;

    private ReportFiles() {
    }

    /**
     * Starts a command: stack traces with warnings when {@code verbose}, and drawing is tried again (a previous
     * command's broken font stack is forgotten). The CLI calls this once per command.
     */
    public static void configure(boolean verbose) {
        traces = verbose;
        drawingBroken = null;
    }

    /** Draws and writes a PNG atomically (directories created as needed); false, after one warning line, if not. */
    public static boolean writePng(Path file, Png png) {
        if (drawingBroken != null) {
            return false;
        }
        return guarded(file, true, () -> {
            beforeWrite.accept(file);
            byte[] bytes = png.encode();
            createParent(file);
            AtomicFiles.write(file, out -> out.write(bytes));
        });
    }

    /** Writes a UTF-8 text file (a report page) atomically; false, after one warning line, if not. */
    public static boolean writeText(Path file, String text) {
        return guarded(file, false, () -> {
            beforeWrite.accept(file);
            createParent(file);
            AtomicFiles.writeString(file, text);
        });
    }

    /**
     * Runs {@code body}, which draws or writes {@code file} (a report with its charts, a chart built before it is
     * written), under the same catch: for callers whose own work before the write (building a plot, reading a run
     * directory) must not lose the run either. Writes inside {@code body} that go through {@link #writePng} or
     * {@link #writeText} report their own failures; this one reports whatever else escapes.
     */
    public static boolean bestEffort(Path file, Body body) {
        return guarded(file, false, body);
    }

    private static boolean guarded(Path file, boolean drawing, Body body) {
        try {
            body.run();
            return true;
        } catch (Exception | Error e) {
            // Error too, on purpose: see the class comment. The results this chart or page illustrates are
            // already on disk, so nothing is gained by letting the JVM die here, OutOfMemoryError included.
            String missing = missingPlotting(e);
            if (missing != null && missing.equals(drawingBroken)) {
                return false; // said once already: a chart, or a report page with charts, without XChart
            }
            String reason = missing != null ? missing : reason(e);
            boolean broken = missing != null || drawing && e instanceof Error;
            if (broken) {
                drawingBroken = reason;
            }
            System.err.println("ravine: warning: could not write " + file + " (" + reason + ")"
                    + (broken ? "; no further charts are drawn" : "") + "; the run's results are kept");
            if (traces) {
                e.printStackTrace();
            }
            return false;
        }
    }

    private static void createParent(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
    }

    /**
     * The line for a chart drawn without XChart (an optional dependency of the library: the CLI jar has it), or null
     * when {@code e} is another failure. Any class of XChart missing means all of it is.
     */
    static String missingPlotting(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if ((t instanceof NoClassDefFoundError || t instanceof ClassNotFoundException) && t.getMessage() != null
                    && t.getMessage().replace('.', '/').startsWith("org/knowm/xchart/")) {
                return "charts need XChart, which is not on the class path: add " + XCHART_ARTIFACT;
            }
        }
        return null;
    }

    /** A failure in words, on one line: the type and message of the cause that says most. */
    static String reason(Throwable e) {
        Throwable t = e;
        while ((t instanceof UncheckedIOException || t instanceof ExceptionInInitializerError)
                && t.getCause() != null) {
            t = t.getCause();
        }
        String text;
        if (t instanceof FileSystemException fs) {
            String why = fs.getReason() != null ? fs.getReason()
                    : fs instanceof AccessDeniedException ? "permission denied"
                    : fs instanceof NoSuchFileException ? "no such file or directory"
                    : fs instanceof FileAlreadyExistsException ? (fs.getFile() != null
                            && !Files.isDirectory(Path.of(fs.getFile())) ? "exists and is not a directory"
                            : "already exists")
                    : fs instanceof NotDirectoryException ? "not a directory"
                    : fs.getClass().getSimpleName();
            text = (fs.getFile() != null ? fs.getFile() + ": " : "") + why;
        } else {
            text = t.getClass().getSimpleName() + (t.getMessage() != null ? ": " + t.getMessage() : "");
        }
        text = text.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
        return text.length() > 300 ? text.substring(0, 297) + "..." : text;
    }
}
