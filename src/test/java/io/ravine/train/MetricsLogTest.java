package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** metrics.csv as a kill leaves it: hand-made files with torn last lines, and damage that a kill cannot make. */
class MetricsLogTest {
    private static final String HEADER = String.join(",", MetricsLog.COLUMNS) + "\n";

    @TempDir
    Path dir;

    /** A complete row of step {@code step}, as MetricsLog writes it (18 cells, some empty). */
    private static String row(long step) {
        return step + ",0.250000000,0.00100000000,1.34302381,1.13372876,0.750000000,,,,,2.61818759,,,,,,"
                + (step / 40.0) + ","
                + (step / 100.0) + "\n";
    }

    private Path file(String text) throws IOException {
        Path f = dir.resolve("metrics.csv");
        Files.writeString(f, text);
        return f;
    }

    private static void resumeAndClose(Path f, long step) {
        MetricsLog.resume(f, step).close();
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void appendedRowsAreWholeLinesThatReadBack() throws IOException {
        Path f = dir.resolve("metrics.csv");
        try (MetricsLog log = MetricsLog.create(f)) {
            log.append(10, 0.25, 0.001, 1.5, 1.25, 0.5, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 2.0,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.25, 0.5);
            log.append(20, 0.5, 0.001, 1.0, Double.POSITIVE_INFINITY, Double.NaN, 0.75, 0.8, Double.NaN,
                    Double.NaN, 1.0, 0.5, 0.25, 4.0, -0.0019, -0.0018, 0.5, 1.0);
            log.force();
        }
        String text = Files.readString(f);
        assertTrue(text.startsWith(HEADER) && text.endsWith("\n"), text);
        assertEquals(3, text.lines().count());
        List<Map<String, Double>> rows = MetricsLog.read(f);
        assertEquals(2, rows.size());
        assertEquals(20.0, rows.get(1).get("step"));
        assertEquals(Double.POSITIVE_INFINITY, rows.get(1).get("train_loss"));
        assertEquals(0.5, rows.get(0).get("train_accuracy"));
        assertTrue(Double.isNaN(rows.get(1).get("train_accuracy")), "an empty cell: not measured or a regression");
        assertTrue(Double.isNaN(rows.get(0).get("test_loss")));
        assertEquals(4.0, rows.get(1).get("gg"));
        assertEquals(-0.0018, rows.get(1).get("actual_change"), 1e-15);
        assertEquals(0.5, rows.get(1).get("passes"));
        assertEquals(1.0, rows.get(1).get("wall_seconds"), "wall_seconds stays the last column");
    }

    @Test
    void aLogWrittenBeforeTheCurvatureCheckColumnsResumesWithThoseCellsEmpty() throws IOException {
        // The 13 columns of before: every row kept up to the checkpoint, moved under the current header.
        String former = "step,epoch,lr,batch_loss,train_loss,test_loss,test_accuracy,ema_test_loss,"
                + "ema_test_accuracy,grad_norm,gHg,optimal_step,wall_seconds\n";
        Path f = file(former + "0,0,,,2.30258512,,,,,,,,0\n"
                + "10,0.25,0.001,1.34,1.13,,,,,2.61,0.5,0.125,0.1\n"
                + "20,0.5,0.001,1.20,1.02,,,,,2.40,,,0.2\n"
                + "30,0.75,0.001,1.10,0.98,,,,,2.30,,,0.3\n");
        try (MetricsLog log = MetricsLog.resume(f, 20)) {
            log.append(30, 0.75, 0.001, 1.1, 0.98, 0.5, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 2.3,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.3);
        }
        List<String> lines = Files.readAllLines(f);
        assertEquals(HEADER.strip(), lines.get(0));
        assertEquals("10,0.25,0.001,1.34,1.13,,,,,,2.61,0.5,0.125,,,,,0.1", lines.get(2));
        List<Map<String, Double>> rows = MetricsLog.read(f);
        assertEquals(List.of(0.0, 10.0, 20.0, 30.0), rows.stream().map(r -> r.get("step")).toList());
        assertEquals(0.125, rows.get(1).get("optimal_step"));
        assertTrue(Double.isNaN(rows.get(1).get("gg")));
        assertEquals(0.2, rows.get(2).get("wall_seconds"));
        // A damaged row of the old format is named with the old format's count.
        Path damaged = file(former + "10,0.25,0.001\n");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> resumeAndClose(damaged, 20));
        assertTrue(e.getMessage().contains("3 cells, expected 13"), e.getMessage());
    }

    @Test
    void aLogWrittenBeforeThePassesColumnResumesWithItsCellsEmpty() throws IOException {
        // The 16 columns of before passes: rows kept up to the checkpoint with an empty passes cell; readers go by
        // name, so an old file read as it is has no passes column at all.
        String before = "step,epoch,lr,batch_loss,train_loss,test_loss,test_accuracy,ema_test_loss,"
                + "ema_test_accuracy,grad_norm,gHg,optimal_step,gg,predicted_change,actual_change,wall_seconds\n";
        Path f = file(before + "0,0,,,2.30258512,,,,,,,,,,,0\n"
                + "10,0.25,0.001,1.34,1.13,,,,,2.61,0.5,0.125,4,-0.01,-0.009,0.1\n"
                + "20,0.5,0.001,1.20,1.02,,,,,2.40,,,,,,0.2\n");
        assertTrue(!MetricsLog.read(f).get(0).containsKey("passes"));
        try (MetricsLog log = MetricsLog.resume(f, 10)) {
            log.append(20, 0.5, 0.001, 1.2, 1.02, 0.5, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 2.4,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.2);
        }
        List<String> lines = Files.readAllLines(f);
        assertEquals(HEADER.strip(), lines.get(0));
        assertEquals("10,0.25,0.001,1.34,1.13,,,,,,2.61,0.5,0.125,4,-0.01,-0.009,,0.1", lines.get(2));
        List<Map<String, Double>> rows = MetricsLog.read(f);
        assertEquals(3, rows.size());
        assertEquals(4.0, rows.get(1).get("gg"));
        assertTrue(Double.isNaN(rows.get(1).get("passes")));
        assertEquals(0.1, rows.get(1).get("wall_seconds"));
    }

    @Test
    void aLogWrittenBeforeTheTrainAccuracyColumnResumesWithItsCellsEmpty() throws IOException {
        // The 17 columns of before train_accuracy (a run started by an older Ravine): its rows kept up to the
        // checkpoint under the current header with an empty train_accuracy, the resumed run's rows with one.
        String before = "step,epoch,lr,batch_loss,train_loss,test_loss,test_accuracy,ema_test_loss,"
                + "ema_test_accuracy,grad_norm,gHg,optimal_step,gg,predicted_change,actual_change,passes,"
                + "wall_seconds\n";
        Path f = file(before + "0,0,,,2.30258512,,,,,,,,,,,0,0\n"
                + "10,0.25,0.001,1.34,1.13,0.9,0.7,,,2.61,,,,,,0.25,0.1\n"
                + "20,0.5,0.001,1.20,1.02,,,,,2.40,,,,,,0.5,0.2\n");
        assertTrue(!MetricsLog.read(f).get(0).containsKey("train_accuracy"), "read as it is: no such column");
        try (MetricsLog log = MetricsLog.resume(f, 10)) {
            log.append(20, 0.5, 0.001, 1.2, 1.02, 0.625, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 2.4,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.5, 0.2);
        }
        List<String> lines = Files.readAllLines(f);
        assertEquals(HEADER.strip(), lines.get(0));
        assertEquals("10,0.25,0.001,1.34,1.13,,0.9,0.7,,,2.61,,,,,,0.25,0.1", lines.get(2));
        List<Map<String, Double>> rows = MetricsLog.read(f);
        assertEquals(List.of(0.0, 10.0, 20.0), rows.stream().map(r -> r.get("step")).toList());
        assertTrue(Double.isNaN(rows.get(1).get("train_accuracy")));
        assertEquals(0.9, rows.get(1).get("test_loss"));
        assertEquals(0.7, rows.get(1).get("test_accuracy"));
        assertEquals(0.625, rows.get(2).get("train_accuracy"));
        assertEquals(0.2, rows.get(2).get("wall_seconds"));
    }

    @Test
    void resumeDropsATornLastRowAndTheRowsAfterTheCheckpoint() throws IOException {
        // Killed while writing step 40's row: only "4" of it reached the file. Read as a number that step would be
        // 4, at or before any checkpoint, so only the missing newline tells it apart from a real row.
        Path f = file(HEADER + row(10) + row(20) + row(30) + "4");
        try (MetricsLog log = MetricsLog.resume(f, 20)) {
            log.append(30, 0.75, 0.001, 1, 1, 0.5, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 1, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.75, 9);
        }
        List<String> lines = Files.readAllLines(f);
        assertEquals(List.of("10,", "20,", "30,"), lines.subList(1, lines.size()).stream()
                .map(l -> l.substring(0, l.indexOf(',') + 1)).toList());
        assertTrue(lines.get(3).endsWith(",9.00000000"), lines.get(3));
        assertTrue(Files.readString(f).endsWith("\n"));
        assertEquals(List.of("metrics.csv"), listing(), "no temporary left");
    }

    @Test
    void aTornRowIsDroppedEvenWhenItsStepIsAtTheCheckpoint() throws IOException {
        // Torn anywhere: a few cells; every cell but the newline; half of a multi-byte character (below).
        for (String tail : List.of("30,0.75,0.001", row(30).strip())) {
            Path f = file(HEADER + row(10) + row(20) + tail);
            resumeAndClose(f, 30);
            assertEquals(HEADER + row(10) + row(20), Files.readString(f), tail);
        }
        byte[] cutUtf8 = (HEADER + row(10) + "20,θ").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Path f = dir.resolve("metrics.csv");
        Files.write(f, java.util.Arrays.copyOf(cutUtf8, cutUtf8.length - 1));
        resumeAndClose(f, 30);
        assertEquals(HEADER + row(10), Files.readString(f));
    }

    @Test
    void aMissingOrEmptyLogStartsAfresh() throws IOException {
        Path missing = dir.resolve("metrics.csv");
        resumeAndClose(missing, 50);
        assertEquals(HEADER, Files.readString(missing));
        Path empty = file("");
        resumeAndClose(empty, 50);
        assertEquals(HEADER, Files.readString(empty));
    }

    @Test
    void aDamagedCompleteRowIsBadInputNamingTheFileAndLineAndChangesNothing() throws IOException {
        String goodTail = row(30);
        // line 3 is the damaged one in each case: the header is line 1, step 10 line 2.
        Map<String, String> damage = Map.of(
                "3 cells, expected 18", "20,0.5,0.001\n",
                "step 'x20' is not a whole number", "x" + row(20),
                "batch_loss 'abc' is not a number", row(20).replace("1.34302381", "abc"),
                "step 10 does not follow step 10", row(10),
                "19 cells", row(20).replace("\n", ",7\n"));
        for (Map.Entry<String, String> e : damage.entrySet()) {
            String text = HEADER + row(10) + e.getValue() + goodTail;
            Path f = file(text);
            InvalidInputException thrown = assertThrows(InvalidInputException.class, () -> resumeAndClose(f, 30));
            String m = thrown.getMessage();
            assertTrue(m.contains(f.toString()) && m.contains("line 3") && m.contains(e.getKey()), m);
            assertEquals(1, m.lines().count(), m);
            assertEquals(text, Files.readString(f), "the log is left as it was");
        }
        // A damaged last line that has its newline is not a kill's torn tail either.
        Path f = file(HEADER + row(10) + "20,0.5\n");
        InvalidInputException thrown = assertThrows(InvalidInputException.class, () -> resumeAndClose(f, 30));
        assertTrue(thrown.getMessage().contains("line 3"), thrown.getMessage());
    }

    @Test
    void anotherHeaderIsBadInput() throws IOException {
        Path f = file("step,loss\n10,1.0\n");
        InvalidInputException thrown = assertThrows(InvalidInputException.class, () -> resumeAndClose(f, 30));
        assertTrue(thrown.getMessage().contains("line 1") && thrown.getMessage().contains("metrics.csv"),
                thrown.getMessage());
    }

    @Test
    void readLeavesOutATornTailAndNamesTheLineOfADamagedRow() throws IOException {
        Path torn = file(HEADER + row(10) + row(20) + "30,0.7");
        assertEquals(List.of(10.0, 20.0), MetricsLog.read(torn).stream().map(r -> r.get("step")).toList());

        Path damaged = file("step,loss\n1,2\n2,abc\n3,4\n");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> MetricsLog.read(damaged));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("loss 'abc'"), e.getMessage());

        Path ragged = file("step,loss\n1,2\n2\n");
        e = assertThrows(InvalidInputException.class, () -> MetricsLog.read(ragged));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("1 cells, expected 2"),
                e.getMessage());
    }
}
